"""The end of a run: the summary lines and the report (pure).
"""


def summary_lines(left_out, book, unfinished, took=None):
    """The terminal summary's lines: nodes left out and lost, each re-run
    test and its fate, the estimate against the time taken."""
    lines = ["node '%s' left out at bring-up: %s" % kv for kv in sorted(left_out.items())]
    for name, why in sorted(book.lost.items()):
        line = "node '%s' lost during the run: %s" % (name, why)
        if book.not_run_on.get(name):
            line += " (--dist each: the rest of its tests did not run there)"
        lines.append(line)
    for test, attempts in sorted(book.crashes.items()):
        if len(attempts) > 1:
            lines.append("%s: running when '%s' and '%s' were lost: reported as failed"
                         % (test, attempts[0][0], attempts[1][0]))
        elif test in unfinished:
            lines.append("%s: running when '%s' was lost, no node left to run it again: reported as failed"
                         % (test, attempts[0][0]))
        elif not book.each:
            lines.append("%s: running when '%s' was lost: run again on another node" % (test, attempts[0][0]))
    if took is not None:
        lines.append("estimated %.1f s for the tests, took %.1f s" % took)
    return lines


def report_data(plan, left_out, book, unfinished, exitstatus, seconds, versions=None):
    """cloud_report's JSON (README "Lost nodes and re-runs"); versions:
    the helper's, the plugin's and what it runs on."""
    reruns = [{"test": test, "lost_on": [name for name, _worker in attempts],
               "outcome": "failed" if len(attempts) > 1 or test in unfinished else "re-run"}
              for test, attempts in sorted(book.crashes.items())]
    return {
        "plan": plan,
        "left_out": [{"node": k, "reason": v} for k, v in sorted(left_out.items())],
        "lost": [{"node": k, "reason": v} for k, v in sorted(book.lost.items())],
        "reruns": reruns,
        "exitstatus": exitstatus,
        "seconds": round(seconds, 3),
        "versions": versions or {},
    }
