"""The timeline's pure parts (the conftest's TimelineBook, critical_tail,
timeline_data, timeline_html): placement on the controller's clock,
outcomes, re-runs after a lost node, the figures, escaping."""

import base64
import hashlib
import html.parser
import json
import re

import pytest

from cloudplugin import load

cloud = load()


def run(book, test, node, worker, setup_at, call_at, end_at, outcome="passed", setup=0.1, call=0.5, xfail=False):
    book.report(test, node, worker, "setup", "passed", setup, False, setup_at)
    book.report(test, node, worker, "call", outcome, call, xfail, call_at)
    book.report(test, node, worker, "teardown", "passed", 0.01, False, end_at)


def test_a_test_is_placed_from_its_reports_arrival():
    book = cloud.TimelineBook(origin=100.0)
    # setup took 0.25 s and its report arrived at 102.0: the test began at 1.75
    run(book, "t", "a", "a_0", 102.0, 102.5, 102.6, setup=0.25)
    (test, node, worker, start, end, outcome, rerun, lost_on), = book.attempts
    assert (test, node, worker, outcome, rerun, lost_on) == ("t", "a", "a_0", "passed", False, None)
    assert abs(start - 1.75) < 1e-9 and abs(end - 2.6) < 1e-9


def test_outcomes():
    phases = cloud.attempt_outcome
    assert phases([("setup", "passed", False), ("call", "passed", False), ("teardown", "passed", False)]) == "passed"
    assert phases([("setup", "failed", False), ("teardown", "passed", False)]) == "error"
    assert phases([("setup", "skipped", False), ("teardown", "passed", False)]) == "skipped"
    assert phases([("setup", "skipped", True), ("teardown", "passed", False)]) == "xfailed"
    assert phases([("setup", "passed", False), ("call", "skipped", True)]) == "xfailed"
    assert phases([("setup", "passed", False), ("call", "passed", True)]) == "xpassed"
    assert phases([("setup", "passed", False), ("call", "failed", False)]) == "failed"
    assert phases([("setup", "passed", False), ("call", "passed", False), ("teardown", "failed", False)]) == "error"
    assert phases([("setup", "passed", False)]) == "crashed"


def test_a_test_lost_with_its_node_is_run_again_and_says_where():
    book = cloud.TimelineBook(origin=0.0)
    book.report("t", "a", "a_0", "setup", "passed", 0.0, False, 1.0)
    book.node_lost("a", 3.0, "connection lost")
    book.worker_down("a_0", 3.0, lost=True)
    run(book, "t", "b", "b_0", 3.5, 4.0, 4.1)
    run(book, "u", "b", "b_0", 4.2, 4.3, 4.4)
    first, again, other = book.attempts
    assert first[5:] == ("lost", False, None) and first[4] == 3.0
    assert again[5:] == ("passed", True, "a")
    assert other[5:] == ("passed", False, None)
    data = cloud.timeline_data(book, {"nodes": []})
    assert data["lost"] == [{"node": "a", "at": 3.0, "why": "connection lost"}]
    assert [t["rerun"] for t in data["tests"]] == [False, True, False]
    assert data["tests"][1]["lost_on"] == "a"
    assert {n["node"]: n["lost"] for n in data["nodes"]} == {"a": 3.0, "b": None}


def test_each_runs_a_test_on_every_worker_without_calling_it_a_rerun():
    book = cloud.TimelineBook(origin=0.0)
    run(book, "t", "a", "a_0", 1.0, 1.5, 1.6)
    run(book, "t", "b", "b_0", 1.0, 1.5, 1.6)
    assert [a[6] for a in book.attempts] == [False, False]


def test_critical_tail():
    # two workers busy to 4 s, then one alone to 10 s: the tail is 4 to 10
    assert cloud.critical_tail([(0, 4), (0, 10)], 2) is None  # one of two is half: not fewer
    assert cloud.critical_tail([(0, 4), (0, 4), (0, 10)], 3) == (4, 10)
    # busy to the end: no tail
    assert cloud.critical_tail([(0, 5), (0, 5), (0, 5)], 3) is None
    # the last tests ending one after another is not a tail
    assert cloud.critical_tail([(0, 10), (0, 10), (0, 10.1)], 3) is None
    # a gap in the middle does not count, only the last stretch
    assert cloud.critical_tail([(0, 2), (0, 2), (3, 9), (3, 9), (3, 12)], 3) == (9, 12)
    assert cloud.critical_tail([], 3) is None


def test_figures():
    book = cloud.TimelineBook(origin=0.0)
    run(book, "long", "a", "a_0", 0.1, 3.9, 4.0, setup=0.1)  # 0 to 4
    run(book, "s1", "b", "b_0", 0.1, 0.9, 1.0, setup=0.1)  # 0 to 1
    run(book, "s2", "b", "b_0", 1.1, 1.9, 2.0, setup=0.1)  # 1 to 2
    run(book, "s3", "b", "b_1", 0.1, 0.9, 1.0, setup=0.1)  # 0 to 1
    for worker, node in (("a_0", "a"), ("b_0", "b"), ("b_1", "b")):
        book.worker_ready(worker, node, 0.0)
    book.finish(5.0)
    plan = {"nodes": [{"node": "a", "gateway": "a", "status": "ok", "cpus": 4}]}
    data = cloud.timeline_data(book, plan, expected=3.5)
    f = data["figures"]
    assert f["wall"] == 4.0 and f["test_time"] == 7.0 and f["session"] == 5.0
    assert f["utilisation"] == round(7 / 12, 4)  # 7 s of 3 workers x 4 s
    assert f["longest"] == {"test": "long", "duration": 4.0}
    assert f["tail"] == {"start": 2.0, "end": 4.0}  # 1 of 3 busy from 2 s
    assert f["expected"] == 3.5
    nodes = {n["node"]: n for n in data["nodes"]}
    assert nodes["a"]["cpus"] == 4 and nodes["a"]["busy"] == 1.0 and nodes["b"]["busy"] == 0.375
    assert nodes["b"]["tests"] == 3 and nodes["b"]["processes"] == 2


HOSTILE = 'tests/t.py::test[</script><script>alert(1)</script>&\u2028]'


def test_a_test_id_is_text_not_markup():
    book = cloud.TimelineBook(origin=0.0)
    run(book, HOSTILE, "a", "a_0", 1.0, 1.5, 1.6)
    page = cloud.timeline_html(cloud.timeline_data(book, {"nodes": []}), title="<b>run</b>")
    # the only script ends are the page's own two
    assert page.count("</script>") == 2
    assert "<script>alert" not in page and "\u2028" not in page
    assert "<title>&lt;b&gt;run&lt;/b&gt;</title>" in page
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)["names"] == [HOSTILE]
    # nothing leaves the file: the page's policy allows no source
    assert "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)


class Page(html.parser.HTMLParser):
    """A page's scripts (type, text), styles' text and its policy, as a
    browser's parser finds them."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.scripts, self.styles, self.policy, self.title = [], [], None, None
        self._open = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.policy = {d.split()[0]: d.split()[1:] for d in attrs["content"].split(";") if d.strip()}
        if tag in ("script", "style", "title"):
            self._open = [tag, attrs.get("type"), ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag):
        if self._open is not None and self._open[0] == tag:
            if tag == "script":
                self.scripts.append((self._open[1], self._open[2]))
            elif tag == "style":
                self.styles.append(self._open[2])
            else:
                self.title = self._open[2]
            self._open = None


def sha256(text):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


# every placeholder of the page, alone, doubled, inside markup
PLACEHOLDERS = sorted(set(re.findall(r"@[A-Z_]+@", cloud.TIMELINE_PAGE)))
IDS = (["t.py::test[%s]" % p for p in PLACEHOLDERS]
       + ["t.py::test[%s</script>%s]" % (PLACEHOLDERS[0], PLACEHOLDERS[-1]), "t.py::test[@@DATA@@]",
          "t.py::test[" + "".join(PLACEHOLDERS) + "]"])


def test_the_page_knows_its_placeholders():
    # the ids above hold every placeholder the page has (a new one is
    # covered without editing this test)
    assert {"@TITLE@", "@DATA@", "@CODE@", "@STYLE@", "@CODE_HASH@", "@STYLE_HASH@"} <= set(PLACEHOLDERS)


def test_ids_that_hold_the_placeholders_stay_text():
    book = cloud.TimelineBook(origin=0.0)
    for k, test in enumerate(IDS):
        run(book, test, "a", "a_0", 1.0 + k, 1.5 + k, 1.6 + k)
    title = "run " + "".join(PLACEHOLDERS)
    page = cloud.timeline_html(cloud.timeline_data(book, {"nodes": []}), title=title)
    parsed = Page(page)
    # the data block is JSON, and holds the ids as they are
    assert [t for t, _text in parsed.scripts] == ["application/json", None]
    data = json.loads(parsed.scripts[0][1])
    assert data["names"] == sorted(IDS)
    # the page is the template's: one style, the data, the code, the title
    assert parsed.styles == [cloud.TIMELINE_STYLE]
    assert parsed.scripts[1][1] == cloud.TIMELINE_CODE
    assert parsed.title == title
    assert page.count(cloud.TIMELINE_CODE) == 1 and page.count(cloud.TIMELINE_STYLE) == 1


def test_the_policy_runs_only_the_pages_own_script_and_style():
    book = cloud.TimelineBook(origin=0.0)
    run(book, HOSTILE, "a", "a_0", 1.0, 1.5, 1.6)
    parsed = Page(cloud.timeline_html(cloud.timeline_data(book, {"nodes": []})))
    code = parsed.scripts[1][1]
    assert parsed.policy == {"default-src": ["'none'"], "script-src": [sha256(code)],
                             "style-src": [sha256(parsed.styles[0])], "img-src": ["data:"]}
    # a hash of what runs: another script's text is not allowed
    assert sha256(code + "alert(1)") not in parsed.policy["script-src"]


@pytest.mark.parametrize("template, values, page", [
    ("<p>@A@ @B@</p>", {"A": "@B@", "B": "x"}, "<p>@B@ x</p>"),
    ("@A@@B@", {"A": "@", "B": "B@"}, "@B@"),
    ("@A@", {"A": "\\1 \\g<0>"}, "\\1 \\g<0>"),
    ("no placeholder", {}, "no placeholder"),
    ("a@b.c @ @", {}, "a@b.c @ @"),
])
def test_fill_page_reads_the_template_once(template, values, page):
    assert cloud.fill_page(template, values) == page


def test_fill_page_a_placeholder_without_a_value_is_an_error():
    with pytest.raises(KeyError):
        cloud.fill_page("@A@ @B@", {"A": "x"})
