"""Listens out (opt-in): Encore's own plays sent to ListenBrainz; playback never waits on the network.

Off by default: nothing is queued or sent until the user turns it on and enters a user token (Settings ▸
ListenBrainz, ``ListenBrainzSettings``). Then, for tracks whose artist and title are tagged (a name guessed
from a file name is not put on a public profile):

- **playing now** when a track starts: held in memory (the newest only), sent once by the sender thread,
  and forgotten on failure or once the track would have ended: a late "playing now" is wrong, not late.
- **a listen** once the play *qualifies*: seconds listened ≥ min(half the track, 4 minutes) (``qualifies``).
  That is ListenBrainz's own rule (Last.fm's scrobbling rule before it), so Encore's counts mean what every
  other client's mean. It reads *seconds listened*, never the position reached, so seeking earns nothing;
  a track of unknown length needs the 4 minutes. The listen is dated when the play started.

Sent per listen: artist, title and album as tagged, the duration, the track number and the MusicBrainz ids
the tags hold, and ``submission_client`` "Encore" with its version. Nothing else.

Queue and sending: a qualifying play is written to ``submit_queue`` (``player.store.submit``) on the thread
that closed it (a local write, like the play itself), so a listen survives a crash and a restart. A sender
thread, on its own database connection, sends what is due: up to ``batch_size`` listens per request
("single" for one, "import" for more), each request bounded by ``timeout_s``. The answer decides:

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
stops sending as a 401 does.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from player import listenbrainz_api as api
from player.listening import FinishedPlay
from player.store import Store
from player.store import submit as submit_sql
from player.store.tracks import get_track

log = logging.getLogger(__name__)

STATE_KEY = "settings.listenbrainz"
DEFAULT_API_ROOT = "https://api.listenbrainz.org"
#: The qualifying rule (see above): half the track or 4 minutes listened, whichever comes first.
QUALIFY_SHARE = 0.5
QUALIFY_MAX_S = 240.0
#: ListenBrainz takes at most this many listens in one request (its MAX_LISTENS_PER_REQUEST).
SERVER_MAX_BATCH = 1000
CLIENT_NAME = "Encore"
_MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class ListenBrainzSettings:
    """Whether and where listens go, and the sender's pace (the rules are in the module docstring).

    Persisted as JSON in the ``state`` table like ``PlaybackSettings``; the token stays on this machine,
    in the database, and is never logged (``repr`` leaves it out).
    """

    #: Send listens and "playing now" (opt-in: off until the user turns it on).
    enabled: bool = False
    #: The user token from https://listenbrainz.org/settings/ (sent as ``Authorization: Token …``).
    token: str = field(default="", repr=False)
    #: The API's root: the public server, or a self-hosted one.
    api_root: str = DEFAULT_API_ROOT
    #: Listens per request at most (1 … ``SERVER_MAX_BATCH``).
    batch_size: int = 50
    #: Seconds to wait for the server to connect, and then for each part of its answer.
    timeout_s: float = 5.0
    #: After a failed attempt (5xx, timeout, no connection), wait base × 2^(attempts − 1), at most the cap.
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 3600.0
    #: The sender looks for listens queued by another process (``encore play``) at least this often.
    poll_interval_s: float = 60.0
    #: ``encore play`` waits at most this long at exit for its listens to go out; the rest stays queued.
    exit_flush_s: float = 3.0

    def __post_init__(self) -> None:
        self.enabled = bool(self.enabled)
        self.token = str(self.token or "").strip()
        self.api_root = str(self.api_root or DEFAULT_API_ROOT).strip().rstrip("/") or DEFAULT_API_ROOT
        self.batch_size = min(max(int(self.batch_size), 1), SERVER_MAX_BATCH)
        self.timeout_s = max(float(self.timeout_s), 0.01)
        self.backoff_base_s = max(float(self.backoff_base_s), 0.0)
        self.backoff_cap_s = max(float(self.backoff_cap_s), self.backoff_base_s)
        self.poll_interval_s = max(float(self.poll_interval_s), 0.01)
        self.exit_flush_s = max(float(self.exit_flush_s), 0.0)

    @property
    def active(self) -> bool:
        """On, with a token to send under."""
        return self.enabled and bool(self.token)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1 = the first)."""
        exponent = min(max(attempts, 1) - 1, 60)
        return min(self.backoff_base_s * 2.0**exponent, self.backoff_cap_s)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ListenBrainzSettings:
        """Known keys only, so settings written by another version still load."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def load(cls, store: Store) -> ListenBrainzSettings:
        """The saved settings (defaults, that is off, where none are saved or they are damaged)."""
        raw = store.get_state(STATE_KEY)
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            return cls.from_dict(data) if isinstance(data, dict) else cls()
        except (ValueError, TypeError):
            return cls()

    def save(self, store: Store) -> None:
        store.set_state(STATE_KEY, json.dumps(dataclasses.asdict(self), sort_keys=True))


def qualifying_seconds(duration: float | None) -> float:
    """Seconds to listen for a play to count as a listen: min(half the track, 4 minutes)."""
    if not duration or duration <= 0:
        return QUALIFY_MAX_S
    return min(QUALIFY_SHARE * duration, QUALIFY_MAX_S)


def qualifies(seconds_listened: float, duration: float | None) -> bool:
    """Whether a play of ``seconds_listened`` seconds of a ``duration``-second track is a listen."""
    return seconds_listened >= qualifying_seconds(duration) - 1e-6


@functools.cache
def client_version() -> str:
    """Encore's version as installed (``submission_client_version``)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("encore")
    except (ImportError, PackageNotFoundError):
        return "unknown"


def track_metadata(track: Mapping[str, Any] | None, duration: float | None = None) -> dict[str, Any] | None:
    """ListenBrainz's ``track_metadata`` for a tracks row; None for a track without a tagged artist and
    title (the server requires both, and a guess from the file name is not the user's to publish)."""
    if track is None or track.get("tags_from_path"):
        return None
    artist, title = _text(track.get("artist")), _text(track.get("title"))
    if not artist or not title:
        return None
    info: dict[str, Any] = {
        "media_player": CLIENT_NAME,
        "submission_client": CLIENT_NAME,
        "submission_client_version": client_version(),
    }
    seconds = duration or track.get("duration")
    if seconds and seconds > 0:
        info["duration_ms"] = int(round(float(seconds) * 1000))
    if track.get("track_number"):
        info["tracknumber"] = int(track["track_number"])
    for key, name in (("mb_track_id", "recording_mbid"), ("mb_album_id", "release_mbid")):
        mbid = _mbids(track.get(key))
        if mbid:
            info[name] = mbid[0]
    artist_mbids = _mbids(track.get("mb_artist_id"))
    if artist_mbids:
        info["artist_mbids"] = artist_mbids
    metadata: dict[str, Any] = {"artist_name": artist, "track_name": title}
    album = _text(track.get("album"))
    if album:
        metadata["release_name"] = album
    metadata["additional_info"] = info
    return metadata


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _mbids(value: Any) -> list[str]:
    """The MusicBrainz ids in a tag value (several artists are joined by "/", ";" or ","), valid ones only:
    one malformed id would make the server refuse the whole listen."""
    parts = re.split(r"[/;,\s]+", _text(value).lower())
    return [p for p in parts if _MBID.match(p)]


class ListenBrainzSubmitter:
    """Queues qualifying plays and sends them, with "playing now", from one background thread.

    ``attach(controller)`` hooks it to a ``PlaybackController``; ``start()`` starts the sender (only once
    the settings are active); ``close()`` stops it. ``send_pending(store)`` is one round of the sender,
    callable directly (tests run it with their own clock, no thread). ``problem`` is the message for the
    user while sending is stopped (a refused token), else None; ``on_problem`` hooks hear it change.
    """

    def __init__(
        self,
        db_path: str | Path,
        settings: ListenBrainzSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock``: wall-clock seconds, which date the queue's ``next_try_at`` and the rate-limit pauses."""
        self.db_path = str(db_path)
        self.settings = settings or ListenBrainzSettings()
        self._clock = clock
        self._lock = threading.Lock()
        self._now_playing: tuple[int, float | None, float] | None = None  # track id, duration, when
        self._hold_until = 0.0  # no request before this (backoff after a failure, a rate limit)
        self._refused_token: str | None = None  # sending stops while the settings hold this token
        self._check_token = False  # a token set at run time is validated before it is used
        self.problem: str | None = None
        self._problem_hooks: list[Callable[[str | None], None]] = []
        self._thread: threading.Thread | None = None
        self._wanted = False  # start() was called: a thread runs whenever the settings are active
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._cond = threading.Condition()
        self._requested = 0  # wake-ups asked for (flush waits until a round after its own found no work)
        self._served = 0

    # -- wiring ------------------------------------------------------------------------------------
    def attach(self, controller: Any) -> Callable[[], None]:
        """Hook into a ``PlaybackController``: "playing now" at each track start, a queued listen at each
        qualifying finished play (and at plays a crashed run left open, closed when the log started).
        Returns a function that unhooks."""
        from player.playback.events import TrackStarted

        def started(event: Any) -> None:
            if isinstance(event, TrackStarted) and self.settings.active:
                entry = controller.queue.get(event.item.key)
                if entry is not None:
                    self.play_started(entry.track_id, event.duration or event.item.duration)

        def finished(play: FinishedPlay) -> None:
            with controller.lock:  # the controller's store is shared with its queue and log
                self.queue_play(controller.store, play)

        unhooks = [controller.events.subscribe(started), controller.on_play_finished(finished)]
        for play in getattr(controller.log, "recovered", []):
            finished(play)

        def detach() -> None:
            for unhook in unhooks:
                unhook()

        return detach

    def play_started(self, track_id: int, duration: float | None) -> None:
        """A track started: "playing now" for it replaces any not yet sent (cheap; the sender sends)."""
        if not self.settings.active:
            return
        with self._lock:
            self._now_playing = (track_id, duration, self._clock())
        self.wake()

    def queue_play(self, store: Store, play: FinishedPlay) -> bool:
        """Queue the listen of a finished play when it qualifies; True when one was queued. A database
        that refuses the write is logged, never raised (playback goes on)."""
        with self._lock:
            if self._now_playing is not None and self._now_playing[0] == play.track_id:
                self._now_playing = None  # it ended before the sender got to it: no longer true
        if not self.settings.active or not play.play_id or not play.saved:
            return False
        try:
            track = get_track(store, play.track_id)
            duration = play.duration or (track or {}).get("duration")
            if not qualifies(play.seconds_listened, duration):
                return False
            metadata = track_metadata(track, duration)
            if metadata is None:
                log.debug("ListenBrainz: track %s has no tagged artist and title: not sent", play.track_id)
                return False
            listen = {"listened_at": int(play.started_at), "track_metadata": metadata}
            queued = submit_sql.enqueue(store, play.play_id, listen, now=self._clock())
        except (sqlite3.Error, OSError) as exc:
            log.warning("ListenBrainz: the listen of play %s could not be queued: %s", play.play_id, exc)
            return False
        if queued:
            self.wake()
        return queued

    def on_problem(self, hook: Callable[[str | None], None]) -> Callable[[], None]:
        """Call ``hook(message)`` when sending stops for a reason the user must fix, ``hook(None)`` when
        it may go on again. Called on the sender's thread (``None`` also on ``update_settings``'s)."""
        self._problem_hooks.append(hook)
        return lambda: self._problem_hooks.remove(hook) if hook in self._problem_hooks else None

    def update_settings(self, settings: ListenBrainzSettings) -> None:
        """New settings (the dialog's OK): a changed token is checked before use and lifts a stop."""
        with self._lock:
            old, self.settings = self.settings, settings
            token_changed = settings.token != old.token or settings.api_root != old.api_root
            if token_changed:
                self._refused_token = None
                self._hold_until = 0.0
            if settings.active and (token_changed or not old.active):
                self._check_token = True
            if not settings.active:
                self._now_playing = None
        if token_changed and self.problem is not None:
            self._set_problem(None)
        if self._wanted:
            self.start()
        self.wake()

    # -- the sender thread -------------------------------------------------------------------------------
    def start(self) -> None:
        """Let the sender run: its thread starts now when the settings are active, else as soon as
        ``update_settings`` makes them so (while off there is no thread at all)."""
        self._wanted = True
        if not self.settings.active or self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="listenbrainz-sender", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Ask the sender for a round now (new work, new settings)."""
        with self._cond:
            self._requested += 1
            self._wake.set()

    def flush(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds until the sender has sent what it can now (what is due, not
        what waits for a backoff or a rate limit); True when it got there."""
        if not self.running:
            return False
        with self._cond:
            self._requested += 1
            wanted = self._requested
            self._wake.set()
            return self._cond.wait_for(lambda: self._served >= wanted, timeout)

    def close(self, flush_s: float = 0.0, join_s: float = 1.0) -> bool:
        """Stop the sender, after waiting up to ``flush_s`` for what is due to go out. Whatever is left
        stays queued in the database for the next run. True when the thread has ended (it may be inside
        one request, at most ``timeout_s``; it is a daemon and ends with the process)."""
        if self.running and flush_s > 0:
            self.flush(flush_s)
        self._wanted = False
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(join_s)
        return not self.running

    def _run(self) -> None:
        client_version()  # warm the version look-up here, not on the player's thread
        store: Store | None = None
        try:
            store = Store.open(self.db_path)
            while True:
                with self._cond:
                    wanted = self._requested
                    self._wake.clear()
                if self._stopping.is_set():
                    break
                try:
                    delay = self.send_pending(store)
                except (sqlite3.Error, OSError) as exc:  # a full or locked database: try again later
                    log.warning("ListenBrainz: %s", exc)
                    delay = self.settings.poll_interval_s
                except Exception:
                    log.exception("ListenBrainz sender")
                    delay = self.settings.poll_interval_s
                if delay > 0:
                    with self._cond:
                        self._served = max(self._served, wanted)
                        self._cond.notify_all()
                self._wake.wait(delay)
        except Exception as exc:  # the database cannot be opened: nothing is sent, playback unaffected
            log.warning("ListenBrainz: cannot open %s: %s", self.db_path, exc)
        finally:
            if store is not None:
                store.close()
            with self._cond:
                self._served = self._requested
                self._cond.notify_all()

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
        detail = reply.describe()
        log.warning("ListenBrainz refused the user token (%s): sending stopped", detail)
        self._set_problem(
            f"ListenBrainz refused your user token ({detail}). Your listens are kept and sent once you "
            "enter a valid token in Settings ▸ ListenBrainz."
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
