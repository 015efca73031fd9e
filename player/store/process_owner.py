"""Naming a process so that another can tell whether it is still running: its pid and its start time.

Why: a first scan leaves the tracks table's indexes dropped while it runs (``bulk_load``), and
``Store.open`` builds them again only when the scan that dropped them is gone (killed before its end).
A pid alone can be given to a new process; with the start time it names one process only.
"""

from __future__ import annotations

import os


def _stat(pid: int) -> tuple[str, str] | None:
    """The process's state letter and start time in clock ticks since boot (``/proc/PID/stat``), or None
    where unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()  # the name in parentheses may hold spaces
        return fields[0].decode(), fields[19].decode()  # fields 3 and 22 of the line: state, starttime
    except (OSError, IndexError):
        return None


def _started(pid: int) -> str | None:
    stat = _stat(pid)
    return stat[1] if stat is not None else None


def this_process() -> str:
    """This process's name for ``is_gone``: 'pid:start time'."""
    pid = os.getpid()
    return f"{pid}:{_started(pid) or ''}"


def is_gone(token: str) -> bool:
    """Whether the process ``this_process`` named then has ended (an empty or odd token: gone)."""
    pid_text, _, started = token.partition(":")
    try:
        pid = int(pid_text)
    except ValueError:
        return True
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # another user's process: it exists
    now = _stat(pid)
    if now is None:
        return False  # no /proc to tell: it exists
    state, now_started = now
    # Ended but not yet waited for by its parent (a zombie), or that pid is another process now.
    return state == "Z" or bool(started and now_started != started)
