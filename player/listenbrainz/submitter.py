"""The ListenBrainz submitter: plays in, listens queued, and the one background thread that sends them.

A qualifying play (``player.listenbrainz.listen``) is written to ``submit_queue`` (``player.store.submit``)
on the thread that closed it (a local write, like the play itself), so a listen survives a crash and a
restart. "Playing now" is held in memory, the newest only. A sender thread, on its own database
connection, runs the rounds of ``player.listenbrainz.sender`` whenever there may be work: woken by a new
listen or new settings, else after the pause the last round asked for, and at least every
``poll_interval_s`` for listens that another process (``encore play``) queued. Playback never waits on it.

While ListenBrainz is off there is no thread at all: ``start`` only lets one run once the settings are
active.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from player.listenbrainz.listen import client_version, qualifies, track_metadata
from player.listenbrainz.sender import Sender
from player.listenbrainz.settings import ListenBrainzSettings
from player.listening import FinishedPlay
from player.store import Store
from player.store import submit as submit_sql
from player.store.tracks import get_track

log = logging.getLogger(__name__)


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
        self._clock = clock
        self._stopping = threading.Event()
        self._sender = Sender(settings or ListenBrainzSettings(), clock=clock, stopping=self._stopping)
        self._thread: threading.Thread | None = None
        self._wanted = False  # start() was called: a thread runs whenever the settings are active
        self._wake = threading.Event()
        self._cond = threading.Condition()
        self._requested = 0  # wake-ups asked for (flush waits until a round after its own found no work)
        self._served = 0

    @property
    def settings(self) -> ListenBrainzSettings:
        """The settings in force (changed with ``update_settings``)."""
        return self._sender.settings

    @property
    def problem(self) -> str | None:
        """Why sending is stopped, for the user (a refused token); None while it may go on."""
        return self._sender.problem

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
        self._sender.set_playing_now(track_id, duration)
        self.wake()

    def queue_play(self, store: Store, play: FinishedPlay) -> bool:
        """Queue the listen of a finished play when it qualifies; True when one was queued. A database
        that refuses the write is logged, never raised (playback goes on)."""
        self._sender.forget_playing_now(play.track_id)  # it ended before the sender got to it
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
        return self._sender.on_problem(hook)

    def update_settings(self, settings: ListenBrainzSettings) -> None:
        """New settings (the dialog's OK): a changed token is checked before use and lifts a stop."""
        self._sender.update_settings(settings)
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
        """Whether the sender thread is alive now."""
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

    def send_pending(self, store: Store) -> float:
        """One round of the sender (``Sender.send_pending``): the seconds until there may be more to do."""
        return self._sender.send_pending(store)

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
