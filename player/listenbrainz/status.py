"""What the user is told about the listens waiting to be sent: how many, and why the last try failed.

Why a module of its own: sending runs on a thread that says nothing unless a token is refused (network
errors are retried with a backoff, as they should be), so offline, listens waited with nothing said
anywhere. Settings ▸ ListenBrainz shows this line (found in a walk of the app).

API: ``queue_status(store, now=None) -> str | None``.
"""

from __future__ import annotations

import time

from player.store import Store
from player.store import submit as submit_sql
from player.text import count_text


def queue_status(store: Store, now: float | None = None) -> str | None:
    """ "3 listens waiting to be sent. The last try failed (cannot reach the server: …); the next is at
    14:05." or None when nothing waits."""
    count, error, next_try_at = submit_sql.waiting(store)
    if not count:
        return None
    text = f"{count_text(count, 'listen')} waiting to be sent."
    if error is not None and next_try_at is not None:
        at = time.time() if now is None else float(now)
        when = "soon" if next_try_at <= at else "at " + time.strftime("%H:%M", time.localtime(next_try_at))
        text += f" The last try failed ({error}); the next is {when}."
    return text
