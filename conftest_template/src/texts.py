"""Files carried as text: the fork server and the timeline page.

Files the plugin carries as text: the fork server, its start and its
client (sent to the nodes), and the timeline page's HTML, style and code.
In the sources they are files beside this module, read when it is
imported; in the assembled conftest.py they are string literals.
"""

import os


def _text(name):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), encoding="utf-8") as f:
        return f.read()


FORK_START = _text("forkstart.py")
FORK_SERVER = _text("forkserver.py")
FORK_CLIENT = _text("forkclient.py")
TIMELINE_PAGE = _text("timeline.html")
TIMELINE_STYLE = _text("timeline.css")
TIMELINE_CODE = _text("timeline.js")
