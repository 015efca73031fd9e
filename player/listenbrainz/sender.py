"""One round of the ListenBrainz sender: what goes out, and what the server's answer does to the queue.

Each round (``Sender.send_pending``) sends the pending "playing now", then up to ``batch_size`` due listens
from ``submit_queue`` (``player.store.submit``) in one request ("single" for one, "import" for more), each
request bounded by ``timeout_s``. The answer decides:

- 2xx: sent and deleted. A reply that says no requests remain (``X-RateLimit-Remaining: 0``) pauses sending
  until its ``X-RateLimit-Reset-In``.
- 5xx, a timeout, no connection (and any status not named here): the batch is tried again after
  ``backoff_base_s`` × 2^(attempts − 1) seconds, at most ``backoff_cap_s`` (defaults 30 s and 1 h), with
  its attempts and the error kept in the queue; all sending pauses as long, since the other listens would
  meet the same server. No jitter: one client per user is no thundering herd.
- 400: the server refused the listen and would refuse it again: it is dropped, the reason logged and kept
  (``player.store.submit.refused``). A refused batch is sent again one listen at a time to find which.
- 401: the token is wrong or revoked: sending stops (listens are still queued) and ``problem`` says so (the
  app shows it, ``encore play`` prints it) until the token is changed.
- 429: sending waits what ``X-RateLimit-Reset-In`` / ``Retry-After`` ask (at most ``backoff_cap_s``; the
  next backoff step when neither header is given); the attempt is not counted against the listens.

A token changed while Encore runs is first checked with ``validate-token``; one the server does not know
stops sending as a 401 does. "Playing now" is sent once, never retried, and forgotten once the track would
have ended: a late "playing now" is wrong, not late.

Kept apart from the submitter (``player.listenbrainz.submitter``), which queues plays and runs the thread,
so these rules can be read, and tested with a fake clock, without either.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from player.listenbrainz import api
from player.listenbrainz.listen import CLIENT_NAME, client_version, track_metadata
from player.listenbrainz.settings import ListenBrainzSettings
from player.store import Store
from player.store import submit as submit_sql
from player.store.tracks import get_track

log = logging.getLogger(__name__)


class Sender:
    """The sender's rounds and what they remember between them: the pending "playing now", a pause
    (backoff after a failure, a rate limit), a refused token, and the ``problem`` to tell the user.

    The submitter's thread calls ``send_pending``; the player's thread hands over "playing now"
    (``set_playing_now``, ``forget_playing_now``) and new settings (``update_settings``). One lock
    guards what both threads touch; no request is made while it is held.
    """

    def __init__(
        self, settings: ListenBrainzSettings, *, clock: Callable[[], float], stopping: threading.Event
    ) -> None:
        """``clock``: wall-clock seconds, which date the queue's ``next_try_at`` and the rate-limit pauses;
        ``stopping``: set when the thread is asked to end (a refused batch then stops going one by one)."""
        self.settings = settings
        self._clock = clock
        self._stopping = stopping
        self._lock = threading.Lock()
        self._now_playing: tuple[int, float | None, float] | None = None  # track id, duration, when
        self._hold_until = 0.0  # no request before this (backoff after a failure, a rate limit)
        self._refused_token: str | None = None  # sending stops while the settings hold this token
        self._check_token = False  # a token set at run time is validated before it is used
        self.problem: str | None = None
        self._problem_hooks: list[Callable[[str | None], None]] = []

    # -- from the player's thread -----------------------------------------------------------------------
    def set_playing_now(self, track_id: int, duration: float | None) -> None:
        """Track ``track_id`` started now: it replaces any "playing now" not yet sent."""
        with self._lock:
            self._now_playing = (track_id, duration, self._clock())

    def forget_playing_now(self, track_id: int) -> None:
        """Track ``track_id`` ended: a "playing now" for it not yet sent is no longer true."""
        with self._lock:
            if self._now_playing is not None and self._now_playing[0] == track_id:
                self._now_playing = None

    def on_problem(self, hook: Callable[[str | None], None]) -> Callable[[], None]:
        """Call ``hook(message)`` when sending stops for a reason the user must fix, ``hook(None)`` when
        it may go on again. Called on the sender's thread (``None`` also on ``update_settings``'s)."""
        self._problem_hooks.append(hook)
        return lambda: self._problem_hooks.remove(hook) if hook in self._problem_hooks else None

    def update_settings(self, settings: ListenBrainzSettings) -> None:
        """New settings: a changed token (or server) is checked before use and lifts a stop and a pause."""
        with self._lock:
            old, self.settings = self.settings, settings
            token_changed = settings.token != old.token or settings.api_root != old.api_root
            if token_changed or (settings.active and not old.active):  # turned back on: checked again, so
                self._refused_token = None  # a token still refused says so (it stopped without a word)
                self._hold_until = 0.0
            if settings.active and (token_changed or not old.active):
                self._check_token = True
            if not settings.active:
                self._now_playing = None
        if (token_changed or not settings.active) and self.problem is not None:
            self._set_problem(None)  # a new token gets its own check; sending turned off has no problem

    # -- one round -----------------------------------------------------------------------------------
    def send_pending(self, store: Store) -> float:
        """Send "playing now" and one batch of due listens; returns the seconds until there may be more
        to do (0: go on at once)."""
        now = self._clock()
        with self._lock:
            s = self.settings
            check_token = self._check_token
            stopped = self._refused_token is not None and self._refused_token == s.token
            hold = self._hold_until - now
        if not s.active or stopped:
            return s.poll_interval_s
        if check_token and not self._validate(s):
            return s.poll_interval_s
        if hold > 0:
            return hold
        if not self._send_now_playing(store, s):
            return self._pause(s)
        now = self._clock()
        entries = submit_sql.claim_due(
            store, now=now, limit=s.batch_size, claim_until=now + 2 * s.timeout_s + 5.0
        )
        if not entries:
            due = submit_sql.next_due_at(store)
            return s.poll_interval_s if due is None else min(max(due - now, 0.01), s.poll_interval_s)
        self._send(store, s, entries)
        return self._pause(s)

    def _pause(self, s: ListenBrainzSettings) -> float:
        """Seconds before the next request may go out (0: now)."""
        with self._lock:
            if self._refused_token is not None and self._refused_token == s.token:
                return s.poll_interval_s
            return max(self._hold_until - self._clock(), 0.0)

    def _validate(self, s: ListenBrainzSettings) -> bool:
        """Check a new token with ``validate-token``; False when the server does not know it."""
        reply = api.validate_token(s.api_root, s.token, timeout_s=s.timeout_s, user_agent=_user_agent())
        valid = api.token_is_valid(reply)
        with self._lock:
            if self.settings.token == s.token:
                self._check_token = False  # no answer: sending will tell (a 401 stops it as this would)
        if valid is False:
            self._stop_sending(s, reply)
            return False
        if valid:
            log.info("ListenBrainz: the token is valid (user %s)", (reply.data or {}).get("user_name"))
        return True

    def _send_now_playing(self, store: Store, s: ListenBrainzSettings) -> bool:
        """Send the pending "playing now", if it is still playing; False when sending must pause."""
        with self._lock:
            pending, self._now_playing = self._now_playing, None
        if pending is None:
            return True
        track_id, duration, started = pending
        if duration and self._clock() > started + duration:
            return True  # over already: a late "playing now" would be wrong
        metadata = track_metadata(get_track(store, track_id), duration)
        if metadata is None:
            return True
        reply = api.submit_listens(
            s.api_root,
            s.token,
            api.PLAYING_NOW,
            [{"track_metadata": metadata}],
            timeout_s=s.timeout_s,
            user_agent=_user_agent(),
        )
        if reply.status is not None and 200 <= reply.status < 300:
            self._note_remaining(reply, s)
        elif reply.status == 401:
            self._stop_sending(s, reply)
        elif reply.status == 429:
            self._rate_limited(reply, s, attempts=1)
        else:  # not worth a retry: by then another track plays
            log.info("ListenBrainz: playing now not sent (%s)", reply.describe())
        return self._pause(s) <= 0

    def _send(self, store: Store, s: ListenBrainzSettings, entries: list[submit_sql.SubmitEntry]) -> None:
        """Send claimed entries as one request and settle each by the answer (see the module docstring)."""
        now = self._clock()
        for entry in [e for e in entries if e.listen is None]:
            submit_sql.drop_refused(store, entry, "the queued listen is damaged (not JSON)", now=now)
        entries = [e for e in entries if e.listen is not None]
        if not entries:
            return
        ids = [e.id for e in entries]
        listen_type = api.SINGLE if len(entries) == 1 else api.IMPORT
        reply = api.submit_listens(
            s.api_root,
            s.token,
            listen_type,
            [e.listen for e in entries],
            timeout_s=s.timeout_s,
            user_agent=_user_agent(),
        )
        now = self._clock()
        status = reply.status
        if status is not None and 200 <= status < 300:
            submit_sql.mark_sent(store, ids)
            log.info("ListenBrainz: %d listen(s) sent", len(ids))
            self._note_remaining(reply, s)
        elif status == 401:
            submit_sql.release(store, ids, next_try_at=now)
            self._stop_sending(s, reply)
        elif status == 429:
            wait = self._rate_limited(reply, s, attempts=max(e.attempts for e in entries) + 1)
            submit_sql.release(store, ids, next_try_at=now + wait)
        elif status == 400 and len(entries) > 1:
            log.info(
                "ListenBrainz: a batch was refused (%s); sending its listens one by one", reply.describe()
            )
            for k, entry in enumerate(entries):
                if self._pause(s) > 0 or self._stopping.is_set():
                    submit_sql.release(store, [e.id for e in entries[k:]], next_try_at=self._clock())
                    break
                self._send(store, s, [entry])
        elif status == 400:
            reason = reply.describe()
            log.warning(
                "ListenBrainz refused a listen for good, dropped: %s (%s)", _listen_label(entries[0]), reason
            )
            submit_sql.drop_refused(store, entries[0], reason, now=now)
        else:  # 5xx, no answer, anything unexpected: back off, count the attempt
            attempts = max(e.attempts for e in entries) + 1
            delay = s.backoff(attempts)
            submit_sql.postpone(store, ids, next_try_at=now + delay, error=reply.describe())
            with self._lock:
                self._hold_until = max(self._hold_until, now + delay)
            log.info(
                "ListenBrainz: %d listen(s) not sent (%s); attempt %d, next in %.3g s",
                len(ids),
                reply.describe(),
                attempts,
                delay,
            )

    def _rate_limited(self, reply: api.Reply, s: ListenBrainzSettings, attempts: int) -> float:
        """A 429: pause as long as the server asks; returns the pause."""
        now = self._clock()
        wait = api.rate_limit_wait(reply, now)
        wait = s.backoff(attempts) if wait is None else min(wait, s.backoff_cap_s)
        with self._lock:
            self._hold_until = max(self._hold_until, now + wait)
        log.info("ListenBrainz: rate limited; waiting %.3g s", wait)
        return wait

    def _note_remaining(self, reply: api.Reply, s: ListenBrainzSettings) -> None:
        """A success that used the last request of the window: pause until the window resets."""
        if (reply.headers.get("x-ratelimit-remaining") or "").strip() != "0":
            return
        try:
            wait = min(max(float(reply.headers.get("x-ratelimit-reset-in") or 0), 0.0), s.backoff_cap_s)
        except ValueError:
            return
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + wait)

    def _stop_sending(self, s: ListenBrainzSettings, reply: api.Reply) -> None:
        """The token was refused: stop until it changes, and tell the user."""
        with self._lock:
            if self.settings.token != s.token:
                return  # changed meanwhile: the new one gets its own chance
            self._refused_token = s.token
            self._now_playing = None
        log.warning("ListenBrainz refused the user token (%s): sending stopped", reply.describe())
        # The server's words without its status: validate-token says "Token invalid." with HTTP 200.
        said = reply.message.strip().rstrip(".")
        if len(said) > 120:  # a proxy's page, not the server's words
            said = said[:119].rstrip() + "…"
        self._set_problem(
            "ListenBrainz does not accept your user token"
            + (f" (the server says: {said})" if said else "")
            + ". Your listens are kept and sent once you enter a valid token in Settings ▸ ListenBrainz."
        )

    def _set_problem(self, message: str | None) -> None:
        self.problem = message
        for hook in list(self._problem_hooks):
            try:
                hook(message)
            except Exception:
                log.exception("on_problem hook %r failed", hook)


def _user_agent() -> str:
    return f"{CLIENT_NAME}/{client_version()}"


def _listen_label(entry: submit_sql.SubmitEntry) -> str:
    meta = (entry.listen or {}).get("track_metadata") or {}
    return f"{meta.get('artist_name', '?')} - {meta.get('track_name', '?')}"
