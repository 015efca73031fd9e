"""The listening log: one ``plays`` row per play, classified as completed, skipped, stopped, replaced or error.

This is what the recommender learns from, so the rules are explicit and in one place: the thresholds are
``PlaybackSettings`` fields (documented there) and ``player.outcomes.classify`` applies them to *seconds
listened*, which seeking does not inflate.

Crash safety: a row is inserted (outcome NULL) when a track starts, checkpointed at most every
``checkpoint_interval_s`` seconds while it plays, and closed when it ends; a killed process therefore
loses at most one interval of one play. ``recover_open_plays`` (run when a log is created) closes rows
left open by a dead process with their last checkpoint.

Two processes on one database (``encore play`` while the app runs): the newcomer takes the other's open
play for a crashed one and closes it; the live process's own close then overwrites it with the true
outcome, so only the row's intermediate checkpoints are lost.

``on_finished`` hooks run after each closed play, on the thread that closed it (the player's event
thread): keep them cheap (the recommender marks its taste model stale and refits later).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from player.outcomes import classify
from player.playback.settings import PlaybackSettings
from player.store import Store
from player.store import plays as plays_sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinishedPlay:
    """A closed play, as passed to ``on_finished`` hooks."""

    play_id: int
    track_id: int
    outcome: str
    seconds_listened: float
    duration: float | None
    position: float
    source: str
    seed: str | None
    first_in_session: bool
    started_at: float
    ended_at: float
    saved: bool = True  # False: kept in memory, the database refused it (retried at the next write)


@dataclass
class _OpenPlay:
    play_id: int | None  # None: not in the database yet (it could not be written)
    track_id: int
    source: str
    seed: str | None
    first: bool
    started_at: float
    duration: float | None
    position: float = 0.0
    listened: float = 0.0
    last_checkpoint: float = 0.0
    #: Seconds heard before the player's own count began: a play taken up again after an Undo
    #: (``ListeningLog.start``'s ``takes_up``) adds the player's count for the restored item to this.
    heard_before: float = 0.0


def recover_open_plays(
    store: Store, settings: PlaybackSettings, exclude_session: str | None = None
) -> list[FinishedPlay]:
    """Close plays left open by a process that died, with their last checkpointed position."""
    recovered = []
    for row in plays_sql.open_plays(store, exclude_session):
        outcome = classify(row["seconds_listened"], row["duration"], "crash", settings)
        plays_sql.close_play(store, row["id"], outcome=outcome, ended_at=row["updated_at"])
        recovered.append(
            FinishedPlay(
                row["id"],
                row["track_id"],
                outcome,
                row["seconds_listened"],
                row["duration"],
                row["position"],
                row["source"],
                row["seed"],
                bool(row["first_in_session"]),
                row["started_at"],
                row["updated_at"],
            )
        )
    if recovered:
        log.info("closed %d play(s) left open by a previous run", len(recovered))
    return recovered


class ListeningLog:
    """Writes the plays of one session (one app run). Thread-safe; one play is open at a time."""

    def __init__(
        self,
        store: Store,
        settings: PlaybackSettings | None = None,
        *,
        session_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        lock: threading.RLock | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` paces the checkpoints; ``wall_clock`` dates the plays (a simulation's own epoch)."""
        self.store = store
        self._wall_clock = wall_clock
        self.settings = settings or PlaybackSettings()
        self.session_id = session_id or uuid.uuid4().hex
        self._clock = clock
        self._lock = lock or threading.RLock()
        self._open: _OpenPlay | None = None
        self._started_any = False
        self._hooks: list[Callable[[FinishedPlay], None]] = []
        self._problem_hooks: list[Callable[[str | None], None]] = []
        # Closed plays the database refused (a full disk, a read-only file): kept here and written at
        # the next chance, in order. ``problem`` says why, for the status bar and the CLI.
        self._unsaved: list[tuple[_OpenPlay, str, float]] = []  # (play, outcome, ended_at)
        self.problem: str | None = None
        with self._lock:
            self.recovered = []
            self._try(
                lambda: self.recovered.extend(
                    recover_open_plays(store, self.settings, exclude_session=self.session_id)
                )
            )

    def on_problem(self, hook: Callable[[str | None], None]) -> Callable[[], None]:
        """Call ``hook(message)`` when plays cannot be written (and ``hook(None)`` once they are again)."""
        self._problem_hooks.append(hook)
        return lambda: self._problem_hooks.remove(hook) if hook in self._problem_hooks else None

    @property
    def unsaved_count(self) -> int:
        """Plays kept in memory because the database refused them."""
        return len(self._unsaved) + (1 if self._open is not None and self._open.play_id is None else 0)

    def _try(self, write: Callable[..., object], *args: object) -> bool:
        """Run one write; a database or disk fault is reported (once) instead of raised."""
        try:
            write(*args)
        except (sqlite3.Error, OSError) as exc:
            from player.faults import explain

            message = explain(exc, self.store.path) or str(exc)
            message += "; plays are kept in memory and saved as soon as the database accepts them"
            if message != self.problem:
                self.problem = message
                log.info("listening log: %s", message)
                self._notify(message)
            return False
        self._resolved()
        return True

    def _resolved(self) -> None:
        """A write went through: once nothing is left in memory the problem is over (said once). Only a
        write that succeeded ends it: a full disk that refuses every checkpoint is one problem, not one
        "full" and one "saved" per checkpoint."""
        if self.problem is not None and self.unsaved_count == 0:
            self.problem = None
            self._notify(None)

    def _notify(self, message: str | None) -> None:
        for hook in list(self._problem_hooks):
            try:
                hook(message)
            except Exception:
                log.exception("on_problem hook %r failed", hook)

    def flush_unsaved(self) -> bool:
        """Write the plays kept in memory; True when none is left."""
        with self._lock:
            wrote = False
            while self._unsaved:
                play, outcome, ended = self._unsaved[0]
                if not self._try(self._store_closed, play, outcome, ended):
                    return False
                self._unsaved.pop(0)
                wrote = True
            if wrote:
                self._resolved()
            return True

    def _store_closed(self, play: _OpenPlay, outcome: str, ended: float) -> None:
        with self.store.transaction():
            play_id = play.play_id
            if play_id is None:
                play_id = plays_sql.start_play(
                    self.store,
                    play.track_id,
                    self.session_id,
                    duration=play.duration,
                    source=play.source,
                    seed=play.seed,
                    first_in_session=play.first,
                    started_at=play.started_at,
                )
            plays_sql.close_play(
                self.store,
                play_id,
                outcome=outcome,
                position=play.position,
                seconds_listened=play.listened,
                duration=play.duration,
                ended_at=ended,
            )
        play.play_id = play_id  # only once committed

    def on_finished(self, hook: Callable[[FinishedPlay], None]) -> Callable[[], None]:
        """Call ``hook(FinishedPlay)`` after every closed play; returns an unsubscribe function."""
        self._hooks.append(hook)
        return lambda: self._hooks.remove(hook) if hook in self._hooks else None

    @property
    def open_play_id(self) -> int | None:
        return self._open.play_id if self._open else None

    @property
    def is_open(self) -> bool:
        """A play is running (stored or, while the database refuses writes, kept in memory)."""
        return self._open is not None

    def _insert_open(self, play: _OpenPlay) -> None:
        """Write a play that started while the database refused writes (as still open)."""
        with self.store.transaction():
            play_id = plays_sql.start_play(
                self.store,
                play.track_id,
                self.session_id,
                duration=play.duration,
                source=play.source,
                seed=play.seed,
                first_in_session=play.first,
                started_at=play.started_at,
            )
            plays_sql.checkpoint_play(
                self.store, play_id, position=play.position, seconds_listened=play.listened, duration=None
            )
        play.play_id = play_id

    def _take_up(self, play_id: int, track_id: int, duration: float | None) -> _OpenPlay | None:
        """Play ``play_id`` of ``track_id``, ended "replaced" in this session, open again; None when it
        is not such a play (then the start opens a play of its own)."""
        row: dict | None = None

        def reopen() -> None:
            nonlocal row
            with self.store.transaction():
                row = plays_sql.reopen_play(self.store, play_id, track_id, self.session_id)

        if not self._try(reopen) or row is None:
            return None
        heard = float(row["seconds_listened"] or 0.0)
        return _OpenPlay(
            play_id,
            track_id,
            row["source"],
            row["seed"],
            bool(row["first_in_session"]),
            float(row["started_at"]),
            duration or row["duration"],
            position=float(row["position"] or 0.0),
            listened=heard,
            last_checkpoint=self._clock(),
            heard_before=heard,
        )

    def start(
        self,
        track_id: int,
        duration: float | None,
        source: str = "library",
        seed: str | None = None,
        takes_up: int | None = None,
    ) -> int:
        """A track started: insert its open row (closing a forgotten open one as stopped).

        ``takes_up``: a play of this track that a replacement ended ("replaced") and an Undo put back at
        the position it had: that play goes on instead of a new one, counting every second heard on both
        sides of the Undo, so a track heard to its end across an Undo is one completion, not a
        "replaced" play plus a short "stopped" one. A judged play (a skip, a completion) is never taken up."""
        with self._lock:
            if self._open is not None:
                self.finish("stopped")
            self.flush_unsaved()
            taken = self._take_up(takes_up, track_id, duration) if takes_up else None
            if taken is not None:
                self._started_any = True
                self._open = taken
                return taken.play_id or 0
            first = not self._started_any
            self._started_any = True
            play = _OpenPlay(
                None,
                track_id,
                source,
                seed,
                first,
                self._wall_clock(),
                duration,
                last_checkpoint=self._clock(),
            )

            def insert() -> None:
                play.play_id = plays_sql.start_play(
                    self.store,
                    track_id,
                    self.session_id,
                    duration=duration,
                    source=source,
                    seed=seed,
                    first_in_session=first,
                    started_at=play.started_at,
                )

            self._try(insert)
            self._open = play
            return play.play_id or 0

    def progress(self, position: float, listened: float, duration: float | None = None) -> None:
        """Position update; written to the row when a checkpoint is due."""
        with self._lock:
            play = self._open
            if play is None:
                return
            play.position, play.listened = position, max(play.heard_before + listened, play.listened)
            if duration:
                play.duration = duration
            now = self._clock()
            if now - play.last_checkpoint >= self.settings.checkpoint_interval_s:
                play.last_checkpoint = now
                if self.problem and not self.flush_unsaved():
                    return  # still failing: the play stays in memory
                if play.play_id is None:
                    self._try(self._insert_open, play)
                    return
                self._try(
                    lambda: plays_sql.checkpoint_play(
                        self.store,
                        play.play_id,
                        position=position,
                        seconds_listened=play.listened,
                        duration=duration,
                    )
                )

    def finish(
        self,
        reason: str,
        position: float | None = None,
        listened: float | None = None,
        duration: float | None = None,
    ) -> FinishedPlay | None:
        """The open play ended with ``reason`` (a ``TrackEnded`` reason): classify and close it."""
        with self._lock:
            play, self._open = self._open, None
            if play is None:
                return None
            if position is not None:
                play.position = position
            if listened is not None:
                play.listened = max(play.heard_before + listened, play.listened)
            if duration:
                play.duration = duration
            outcome = classify(play.listened, play.duration, reason, self.settings)
            ended = self._wall_clock()
            self._unsaved.append((play, outcome, ended))
            self.flush_unsaved()  # this play, after any older one still waiting
            finished = FinishedPlay(
                play.play_id or 0,
                play.track_id,
                outcome,
                play.listened,
                play.duration,
                play.position,
                play.source,
                play.seed,
                play.first,
                play.started_at,
                ended,
                saved=not any(p is play for p, _, _ in self._unsaved),
            )
        for hook in list(self._hooks):
            try:
                hook(finished)
            except Exception:
                log.exception("on_finished hook %r failed", hook)
        return finished
