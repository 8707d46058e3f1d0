"""TimelineBook, the figures, the self-contained HTML page.

Where the time went, test by test: TimelineBook records each attempt of a
test on the controller's clock (pure: times are passed in), timeline_data
turns it into the facts cloud_report and the HTML file share, and
timeline_html writes one self-contained page (no network, no external
script or font).  A test is placed from the arrival of its reports: it
ends when its teardown report arrives here, and starts its setup's
duration before its setup report arrived.  The nodes' own clocks are not
used (they differ between machines); what is left is the time a report
takes to reach the controller, the same for a test's start and end.
"""

import base64
import hashlib
import json
import re

from .texts import TIMELINE_CODE, TIMELINE_PAGE, TIMELINE_STYLE


OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "lost", "crashed")


def attempt_outcome(phases):
    """A test attempt's outcome from its reports' (when, outcome, xfail)."""
    got = {when: (outcome, xfail) for when, outcome, xfail in phases}
    setup = got.get("setup")
    call = got.get("call")
    teardown = got.get("teardown")
    if setup is not None and setup[0] == "failed":
        return "error"
    if setup is not None and setup[0] == "skipped":
        return "xfailed" if setup[1] else "skipped"
    if call is not None:
        if call[1]:
            return "xfailed" if call[0] == "skipped" else "xpassed" if call[0] == "passed" else "failed"
        if call[0] != "passed":
            return call[0]
    if teardown is not None and teardown[0] == "failed":
        return "error"
    return "passed" if call is not None else "crashed"


class TimelineBook:
    """Each attempt of each test on the controller's clock (seconds from
    origin), the workers' bring-up and the nodes lost.  Pure."""

    def __init__(self, origin):
        self.origin = origin
        self.open = {}  # worker -> [test, node, start, phases]
        self.attempts = []  # (test, node, worker, start, end, outcome, rerun, lost_on)
        self.lost = []  # (node, at, why)
        self.ready = {}  # worker -> (node, at)
        self.lost_on = {}  # test -> the node it was running on when lost
        self.finished = None  # when the run ended

    def report(self, test, node, worker, when, outcome, duration, xfail, at):
        t = at - self.origin
        if when == "setup":
            self._close(worker, t, "crashed")  # a setup without the last report's end
            self.open[worker] = [test, node, max(0.0, t - duration), [], self.lost_on.get(test)]
        current = self.open.get(worker)
        if current is None or current[0] != test:
            return
        current[3].append((when, outcome, bool(xfail)))
        if when == "teardown":
            self.open.pop(worker)
            self._add(worker, current, t, attempt_outcome(current[3]))

    def _add(self, worker, current, end, outcome):
        test, node, start, _phases, lost_on = current
        if outcome == "lost":
            self.lost_on.setdefault(test, node)
        self.attempts.append((test, node, worker, start, max(end, start), outcome, lost_on is not None, lost_on))

    def _close(self, worker, t, outcome):
        current = self.open.pop(worker, None)
        if current is not None:
            self._add(worker, current, t, outcome)

    def worker_ready(self, worker, node, at):
        self.ready.setdefault(worker, (node, at - self.origin))

    def worker_down(self, worker, at, lost):
        """A worker went: the test it was running ends there, lost with
        its node or crashed."""
        self._close(worker, at - self.origin, "lost" if lost else "crashed")

    def node_lost(self, node, at, why):
        self.lost.append((node, at - self.origin, why))

    def finish(self, at):
        """The end of the run: what is still open ends here."""
        self.finished = at - self.origin
        for worker in list(self.open):
            self._close(worker, at - self.origin, "crashed")


def busy_steps(intervals):
    """[(time, workers busy from then on)] of (start, end) intervals."""
    events = sorted([(s, 1) for s, e in intervals] + [(e, -1) for s, e in intervals])
    steps, busy = [], 0
    for t, change in events:
        busy += change
        if steps and steps[-1][0] == t:
            steps[-1] = (t, busy)
        else:
            steps.append((t, busy))
    return steps


def critical_tail(intervals, workers):
    """(start, end) of the last stretch in which fewer than half the
    workers were busy, up to the last end; None when there is none (the
    workers were at least half busy up to the end, or the stretch is under
    5% of the tests' span: the last tests ending one after another)."""
    if not intervals or workers < 1:
        return None
    steps = busy_steps(intervals)
    end = steps[-1][0]
    start = None
    for t, busy in steps:
        if busy * 2 < workers:
            if start is None:
                start = t
        else:
            start = None
    first = min(s for s, _e in intervals)
    if start is None or end - start < 0.05 * (end - first):
        return None
    return start, end


def timeline_data(book, plan, expected=None, versions=None):
    """The facts of the timeline, for cloud_report and the HTML page:
    tests (one entry per attempt), workers, nodes, lost nodes, figures."""
    tests = [{"test": test, "node": node, "worker": worker, "start": round(start, 4),
              "duration": round(end - start, 4), "outcome": outcome, "rerun": rerun, "lost_on": lost_on}
             for test, node, worker, start, end, outcome, rerun, lost_on in book.attempts]
    tests.sort(key=lambda t: (t["start"], t["worker"] or ""))
    lost_at = {node: at for node, at, _why in book.lost}
    workers = sorted({w for w in book.ready} | {t["worker"] for t in tests if t["worker"]})
    nodes_of = {w: book.ready.get(w, (None, None))[0] for w in workers}
    for t in tests:
        nodes_of.setdefault(t["worker"], t["node"])
        if nodes_of.get(t["worker"]) is None:
            nodes_of[t["worker"]] = t["node"]
    capacity = {n.get("gateway") or n["node"]: n for n in (plan or {}).get("nodes", []) if n.get("status") == "ok"}
    intervals = [(t["start"], t["start"] + t["duration"]) for t in tests]
    first = min((s for s, _e in intervals), default=0.0)
    last = max((e for _s, e in intervals), default=0.0)
    span = last - first
    total = sum(t["duration"] for t in tests)
    tail = critical_tail(intervals, len(workers))
    longest = max(tests, key=lambda t: t["duration"], default=None)
    nodes = []
    for name in sorted(set(nodes_of.values()) - {None}, key=str):
        mine = [t for t in tests if t["node"] == name]
        its_workers = [w for w in workers if nodes_of.get(w) == name]
        ready = [book.ready[w][1] for w in its_workers if w in book.ready]
        busy = sum(t["duration"] for t in mine)
        info = capacity.get(name, {})
        nodes.append({"node": name, "cpus": info.get("cpus"), "processes": len(its_workers),
                      "bringup": round(min(ready), 3) if ready else None, "tests": len(mine),
                      "busy": round(busy / (len(its_workers) * span), 4) if its_workers and span > 0 else 0.0,
                      "lost": lost_at.get(name)})
    return {
        "tests": tests,
        "workers": [{"worker": w, "node": nodes_of.get(w),
                     "ready": round(book.ready[w][1], 4) if w in book.ready else None} for w in workers],
        "nodes": nodes,
        "lost": [{"node": n, "at": round(at, 4), "why": why} for n, at, why in book.lost],
        "figures": {
            "session": round(book.finished if book.finished is not None else last, 4),
            "first_start": round(first, 4), "last_end": round(last, 4), "wall": round(span, 4),
            "test_time": round(total, 4),
            "utilisation": round(total / (len(workers) * span), 4) if workers and span > 0 else 0.0,
            "expected": round(expected, 3) if expected is not None else None,
            "longest": {"test": longest["test"], "duration": longest["duration"]} if longest else None,
            "tail": {"start": round(tail[0], 4), "end": round(tail[1], 4)} if tail else None,
        },
        "versions": versions or {},
    }


def _script_json(value):
    """JSON that can stand inside <script>: no '<', '>', '&' or line
    separators as themselves (a test id is user text)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


PAGE_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def fill_page(template, values):
    """template with each @NAME@ in it replaced by values[NAME], in one
    pass over the template: what a value holds is never read again, so a
    test id that says @DATA@ stays text.  A placeholder without a value
    raises KeyError."""
    return PAGE_PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def csp_hash(text):
    """The content security policy's source for one inline script or
    style of exactly this text ('sha256-...', quotes left to the page)."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def timeline_html(data, title="pytest-cloud run"):
    """One self-contained HTML page of the timeline: the data, the style
    and the drawing code inline, and a policy that lets it load nothing
    and run no script or style but those two (by their hashes)."""
    import html

    workers = [w["worker"] for w in data["workers"]]
    index = {w: i for i, w in enumerate(workers)}
    names = sorted({t["test"] for t in data["tests"]})
    name_index = {n: i for i, n in enumerate(names)}
    compact = {
        "names": names,
        "workers": data["workers"],
        "nodes": data["nodes"],
        "lost": data["lost"],
        "figures": data["figures"],
        "versions": data.get("versions", {}),
        "outcomes": list(OUTCOMES),
        # per attempt: name, worker, start ms, duration ms, outcome, the
        # node a re-run's first attempt was lost on (or null)
        "tests": [[name_index[t["test"]], index.get(t["worker"], -1), round(t["start"] * 1000),
                   round(t["duration"] * 1000), OUTCOMES.index(t["outcome"]), t.get("lost_on")]
                  for t in data["tests"]],
    }
    return fill_page(TIMELINE_PAGE, {
        "TITLE": html.escape(title), "DATA": _script_json(compact),
        "CODE": TIMELINE_CODE, "CODE_HASH": csp_hash(TIMELINE_CODE),
        "STYLE": TIMELINE_STYLE, "STYLE_HASH": csp_hash(TIMELINE_STYLE)})
