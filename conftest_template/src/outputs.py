"""The end of a run: the summary lines, the report, the files written.

summary_lines and report_data are pure; Outputs writes cloud_report's
JSON and cloud_timeline's page, each whole (replace_file), and says what
it wrote.
"""

import errno
import json
import os
import stat

from .timeline import timeline_html


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


def replace_file(path, text):
    """Writes text to path whole, as pytest-cloud init writes its files
    (helper/edge/files.c): a temporary of a random name in the same
    folder, opened O_CREAT|O_EXCL|O_NOFOLLOW (a planted link or file of
    that name is never followed or reused), with the old file's mode and
    owner (a new file: 0666 less the umask), synced, renamed over path,
    the folder synced.  Never writes through a symbolic link at path, nor
    over what is not a regular file.  Raises OSError, its strerror saying
    why; the temporary does not stay."""
    try:
        old = os.lstat(path)
    except FileNotFoundError:
        old = None
    if old is not None and stat.S_ISLNK(old.st_mode):
        raise OSError(errno.ELOOP, "is a symbolic link")
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise OSError(errno.EINVAL, "is not a regular file")
    folder, name = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _try in range(16):
        tmp = os.path.join(folder, ".%s.pytest-cloud-%s" % (name, os.urandom(6).hex()))
        try:
            fd = os.open(tmp, flags, 0o600 if old is not None else 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise OSError(errno.EEXIST, "no free temporary name beside it")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            if old is not None:
                if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                    try:
                        os.fchown(fd, old.st_uid, old.st_gid)
                    except OSError as exc:
                        raise OSError(exc.errno, "cannot keep its owner (uid %d, gid %d): %s"
                                      % (old.st_uid, old.st_gid, exc.strerror)) from None
                os.fchmod(fd, stat.S_IMODE(old.st_mode))
            f.write(text)
            f.flush()
            os.fsync(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dirfd = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(dirfd)
    except OSError:
        pass
    finally:
        os.close(dirfd)


class Outputs:
    """The files a run writes at its end: the plan's report (cloud_report)
    and timeline (cloud_timeline) paths, None for none.  Each is written
    whole (replace_file); one that cannot be written (a symbolic link
    there, say) gets one line (say), and the run's exit status stays its
    own."""

    def __init__(self, report, timeline, say):
        self.report = report
        self.timeline = timeline
        self.say = say
        self.written = {}  # name -> path

    def write(self, timeline, title, **facts):
        """timeline: timeline_data's facts; title: the page's; facts:
        report_data's arguments."""
        if self.report:
            data = report_data(**facts)
            data["tests"] = timeline["tests"]
            data["timeline"] = {k: timeline[k] for k in ("workers", "nodes", "lost", "figures")}
            self._write_file("report", self.report, json.dumps(data, indent=2))
        if self.timeline:
            self._write_file("timeline", self.timeline, timeline_html(timeline, title))

    def lines(self):
        """The summary's lines on what was written."""
        return ["%s written: %s" % kv for kv in sorted(self.written.items())]

    def _write_file(self, name, path, text):
        try:
            replace_file(path, text)
        except OSError as exc:
            self.say("pytest-cloud: cloud_%s: cannot write '%s': %s" % (name, path, exc.strerror or exc))
            return
        self.written[name] = path
