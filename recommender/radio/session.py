"""What plays, as a listener drives it: the radio station and the play queue kept in step, and every
replacement of the queue undoable. Qt-free: the app (``ui/``) and the app-level simulation
(``recommender.simulation.app``) drive these same objects, so what the simulation measures is what a
person gets.

``RadioSession`` keeps a ``Station`` (plain arrays in, track ids out) and the ``PlaybackController``'s
queue in step: it puts the station's plan into the queue as "radio" entries, tells the station which
planned track started, feeds it every finished play of the station (skips and completions re-plan at
once) and replaces the upcoming radio entries with the new plan. Skips survive a station made again in
the same listening session (an Undo, a restart of the radio): a track skipped in a session is never
queued again in it, and an artist skipped twice rests (``RadioSettings.rest_artist_after_skips``).
Building the ``RadioLibrary`` is the one slow part; ``run`` decides where it runs (the app: a worker
thread, results back on the GUI thread; the simulation and the tests: at once).

``recommender.radio.listening.ListeningSession`` is the one way to replace what plays, each replacement
undoable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

SEED_NOT_IN_LIBRARY = (
    "this track's file is missing (its music folder unplugged or renamed?); "
    "a radio can start from it when the folder is back"
)
"""Why no station starts from a track the radio's library does not hold (missing files are left out)."""

#: ``run(job, on_result, on_error)``: where the library is loaded. The default runs it at once.
Runner = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[str], None]], None]


def run_now(
    job: Callable[[], Any], on_result: Callable[[Any], None], on_error: Callable[[str], None]
) -> None:
    """The plain runner: do the job on this thread and hand its result (or error message) on."""
    try:
        result = job()
    except ValueError as exc:  # a prompt the library cannot answer: the user's to fix, no traceback
        log.info("radio: %s", exc)
        on_error(str(exc))
        return
    except Exception as exc:  # reported like a worker's failure: the station does not start
        log.exception("radio library failed to load")
        on_error(str(exc))
        return
    on_result(result)


def resting_track_ids(store: Any, settings: Any = None, now: float | None = None) -> set[int]:
    """Tracks that rest in the current listening session (``RadioSettings.session_hours``): those
    skipped in it, and every track of an artist skipped ``rest_artist_after_skips`` times in it. What
    plans outside a station (a path between two songs) leaves them out by the same rule."""
    from collections import Counter

    from player.store.plays import skipped_since
    from player.store.tracks import track_columns
    from recommender.radio.settings import RadioSettings

    s = settings or RadioSettings()
    at = time.time() if now is None else float(now)
    skipped = {t for t, when in skipped_since(store, at - s.session_hours * 3600.0) if when <= at}
    if not skipped:
        return set()
    artist_of = {
        int(t): (a or aa or "").strip().casefold()
        for t, a, aa in track_columns(store, ("id", "artist", "album_artist"))
    }
    per_artist = Counter(artist_of.get(t, "") for t in skipped)
    rested = {a for a, n in per_artist.items() if a and n >= max(1, s.rest_artist_after_skips)}
    return skipped | {t for t, a in artist_of.items() if a in rested}


class RadioSession:
    """A radio station and the play queue kept in step (see the module doc)."""

    def __init__(
        self,
        controller: Any,
        load_library: Callable[[], Any],
        run: Runner = run_now,
        settings: Any = None,
        clock: Callable[[], float] = time.time,
        resolve: Callable[[Any, str], Any] | None = None,
    ) -> None:
        """``load_library()`` builds the station's ``RadioLibrary``; ``clock`` is the station's now (a
        simulation's own epoch); ``resolve(library, prompt)`` reads a station prompt against the library
        (``recommender.prompt.resolve.read_prompt`` with a store of its own: it runs where ``run`` runs
        it; None: this session takes no prompts)."""
        self.controller = controller
        self.clock = clock
        self.load_library = load_library
        self.run = run
        self.station: Any = None
        self.label: str | None = None
        self.seed_track_id: int | None = None
        self.prompt: str | None = None  # a station from a prompt (``start_prompt``), else None
        self.resolve = resolve
        self.settings = settings
        self.session_skips: list[int] = []  # every track skipped in this listening session, in order
        self.on_station_changed: list[Callable[[str | None], None]] = []
        self.on_plan_changed: list[Callable[[list], None]] = []
        self.on_failed: list[Callable[[str], None]] = []
        # A prompt was read and its station is about to replace what plays (the label; nothing changed yet).
        self.on_prompt_started: list[Callable[[str], None]] = []
        self._library: Any = None
        self._loading = False
        self._closed = False
        self._why: dict[int, str] = {}
        self._excluded: set[int] = set()  # tracks banned during the session: never queued
        self._resume_current: int | None = None
        self._pending: tuple[str, str] | None = None  # (prompt, label) being read (``start_prompt``)

    # -- lifecycle ---------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """The library changed (a scan, an analysis, imported listens): the next station rebuilds its arrays.
        The station playing now goes on with all it learnt, but never plans a track whose file is missing
        (found in a walk of the app: after an unplugged folder's rescan it kept queueing its tracks, shown
        as "file missing"); a file that came back joins the next station."""
        self._library = None
        if self.station is None:
            return
        from player.store.tracks import missing_track_ids

        with self.controller.lock:
            gone = missing_track_ids(self.controller.store)
        if self.station.exclude(gone):
            self._sync_queue()

    def exclude(self, track_ids: Iterable[int]) -> None:
        """Tracks just banned: out of the queue now, out of every plan; the next station's library
        leaves them out anyway (``load_library``)."""
        self._excluded |= {int(t) for t in track_ids}
        self._library = None
        self._sync_queue()

    def set_settings(self, settings: Any) -> None:
        self.settings = settings

    def start(self, seed_track_id: int, label: str) -> None:
        """Play the seed now and plan the station (at once if the arrays are loaded, else when they are).
        Use ``ListeningSession.start_radio`` to get an Undo for what it replaces."""
        self._pending = None
        self.stop()
        self.label = label
        self.seed_track_id = int(seed_track_id)
        self.controller.play_tracks([seed_track_id], "radio", label)
        self._emit(self.on_station_changed, label)
        self._plan_when_ready()

    def start_prompt(self, prompt: str, label: str) -> None:
        """Start a station from a prompt in the station language (``recommender.prompt``). What plays goes
        on while the prompt is read against the library; then the new station's first track plays and
        its plan follows. A prompt the library cannot answer changes nothing and reports through
        ``on_failed``. Use ``ListeningSession.start_prompt`` for an Undo."""
        self._pending = (prompt, label)
        if self._library is not None:
            self._resolve_pending()
        elif not self._loading:
            self._loading = True
            self.run(self.load_library, self._library_loaded, self._load_failed)

    def resume(
        self, seed_track_id: int, label: str, current_track_id: int | None, prompt: str | None = None
    ) -> None:
        """The queue holds this station's entries again (a restart, an Undo): plan on from where it was
        (``prompt``: the station was made from one)."""
        self.station = None
        self.label = label
        self.prompt = prompt
        self.seed_track_id = int(seed_track_id)
        self._resume_current = current_track_id
        self._emit(self.on_station_changed, label)
        self._plan_when_ready()

    def close(self) -> None:
        """The app is closing: end the station and ignore results still on their way."""
        self.stop()
        self._closed = True

    def stop(self) -> None:
        self._pending = None
        if self.station is None and self.label is None:
            return
        self.station = None
        self.label = None
        self.seed_track_id = None
        self.prompt = None
        self._why = {}
        self._emit(self.on_station_changed, None)

    @property
    def active(self) -> bool:
        return self.station is not None

    def why(self, track_id: int) -> str:
        return self._why.get(int(track_id), "")

    def plan_ids(self) -> list[int]:
        return [p.track_id for p in self.station.plan] if self.station is not None else []

    # -- events ----------------------------------------------------------------------------------------
    def track_started(self, entry: Any) -> None:
        """A queue entry started playing; if it belongs to this station, the station moves past it."""
        if self.station is None or entry is None or entry.source != "radio" or entry.seed != self.label:
            if entry is not None and self.station is not None and entry.source != "radio":
                self.stop()  # the user played something else: the station ends
            return
        track_id = int(entry.track_id)
        if track_id == self.seed_track_id and not self.station.history[1:]:
            return
        planned = self.plan_ids()
        if planned and planned[0] == track_id:
            item = self.station.next_item()  # the planned next track: the station moves on and re-plans
            self._why[item.track_id] = item.why
        else:
            # The user jumped to a later planned track (or dragged one up): it becomes the station's
            # current track, the planned tracks before it are passed over and the plan goes on after it.
            self.station.playing(track_id)
        self._sync_queue()

    def play_finished(self, play: Any) -> None:
        """A play ended: a skip is remembered for the session (whatever played it); a play of this
        station also teaches the station (skip or completion) and re-plans the queue."""
        if str(play.outcome) == "skipped":
            self.session_skips.append(int(play.track_id))
        if self.station is None or play.source != "radio" or play.seed != self.label:
            return
        from recommender.radio.station import PlayEvent

        self.station.observe(PlayEvent(int(play.track_id), str(play.outcome)))
        self._sync_queue()

    # -- internals -----------------------------------------------------------------------------------
    def _emit(self, hooks: list[Callable], value: Any) -> None:
        for hook in list(hooks):
            hook(value)

    def _plan_when_ready(self) -> None:
        """Make the station now if the library arrays are loaded, else load them."""
        if self._library is not None:
            self._make_station()
        elif not self._loading:
            self._loading = True
            self.run(self.load_library, self._library_loaded, self._load_failed)

    def _library_loaded(self, library: Any) -> None:
        self._loading = False
        if self._closed:
            return
        self._library = library
        if self._pending is not None:
            self._resolve_pending()
        elif self.label is not None and self.station is None:
            self._make_station()

    def _load_failed(self, message: str) -> None:
        self._loading = False
        log.error("radio library failed to load: %s", message)
        self._emit(self.on_failed, f"The radio could not start: {message}")

    def _make_station(self) -> None:
        if self.prompt is not None:
            self._resolve_prompt()
            return
        from recommender.radio.station import Station

        try:
            self._library.row(self.seed_track_id)
        except KeyError:  # its file went missing, or it was removed
            log.warning("track %s is not in the radio's library: no station from it", self.seed_track_id)
            self._emit(self.on_failed, f"The radio could not start: {SEED_NOT_IN_LIBRARY}")
            return
        try:
            self.station = Station(
                self._library, self.seed_track_id, self.settings, now=self.clock(), skipped=self.session_skips
            )
        except Exception as exc:
            log.exception("cannot start a station from track %s", self.seed_track_id)
            self._emit(self.on_failed, f"The radio could not start: {exc}")
            return
        self._why[self.seed_track_id] = "the seed"
        self._started()

    def _started(self) -> None:
        current, self._resume_current = self._resume_current, None
        if current is not None and current != self.seed_track_id:
            self.station.playing(int(current))  # plan on from the track that was playing
        self._sync_queue()

    def _resolve_prompt(self) -> None:
        """A resumed station from a prompt: read it again (where ``run`` runs jobs), then plan on."""
        library, prompt, label = self._library, self.prompt, self.label

        def resolved(result: Any) -> None:
            if isinstance(result, Exception):
                failed(str(result))
            elif not self._closed and self.prompt == prompt and self.label == label and self.station is None:
                self._prompt_station(library, result)

        def failed(message: str) -> None:
            if self.prompt == prompt and self.label == label:
                self._emit(self.on_failed, f"The station could not start: {message}")

        self.run(lambda: self._read(library, prompt), resolved, failed)

    def _resolve_pending(self) -> None:
        """A new station from a prompt: read it; only then does it replace the station and the queue."""
        library, pending = self._library, self._pending

        def resolved(result: Any) -> None:
            if self._closed or self._pending != pending:
                return  # another station started (or this one was cancelled) meanwhile
            if isinstance(result, Exception):  # the library cannot answer it: nothing changes
                self._pending = None
                self._emit(self.on_failed, f"The station could not start:\n{result.show()}")
                return
            if result.path is not None:  # a path is no station: nothing is replaced (``_prompt_station``)
                self._pending = None
                return self._prompt_station(library, result)
            self._emit(self.on_prompt_started, pending[1])
            self.stop()
            self.prompt, self.label = pending
            self.seed_track_id = None
            self._emit(self.on_station_changed, self.label)
            self._prompt_station(library, result)

        def failed(message: str) -> None:
            if self._pending == pending:
                self._pending = None
                self._emit(self.on_failed, f"The station could not start: {message}")

        self.run(lambda: self._read(library, pending[0]), resolved, failed)

    def _read(self, library: Any, prompt: str) -> Any:
        """The prompt read against the library by ``resolve`` (``recommender.prompt.resolve.read_prompt``,
        which returns a prompt it cannot answer as its ``PromptError``, not raised, so the error's place
        in the text survives the trip from a worker)."""
        if self.resolve is None:
            raise ValueError("this session reads no station prompts (no resolve was given)")
        return self.resolve(library, prompt)

    def _prompt_station(self, library: Any, resolved: Any) -> None:
        from recommender.radio.station import Station

        if resolved.path is not None:  # a path is queued once, as "Radio to…" does (no station)
            self._emit(
                self.on_failed, "A path (from/to) plays from the library's Path command, not as a station"
            )
            return
        try:
            self.station = Station(
                library,
                int(resolved.seed_track_id),
                self.settings,
                now=self.clock(),
                skipped=self.session_skips,
                seed_played=False,
                seeds=resolved.seeds,
                excluded=resolved.excluded,
                pull=resolved.pull,
                why_prompt=resolved.why,
            )
        except Exception as exc:
            log.exception("cannot start a station from the prompt %r", self.prompt)
            self._emit(self.on_failed, f"The station could not start: {exc}")
            return
        if self.seed_track_id is None:  # a new station: its first pick plays now
            first = self.station.next_item()
            self.seed_track_id = first.track_id
            self._why[first.track_id] = first.why
            self.controller.play_tracks([first.track_id], "radio", self.label)
        else:  # resumed: the track that played counts as heard
            self.station.playing(int(self.seed_track_id))
        self._started()

    def _sync_queue(self) -> None:
        """Make the queue's upcoming radio entries equal to the station's plan."""
        if self.station is None:
            return
        for item in self.station.plan:
            self._why[item.track_id] = item.why
        queue = self.controller.queue
        with self.controller.lock:
            upcoming = queue.upcoming()
            ours = [e for e in upcoming if e.source == "radio" and e.seed == self.label]
            plan = [t for t in self.plan_ids() if t not in self._excluded]
            if [e.track_id for e in ours] != plan:
                if ours:
                    queue.remove([e.id for e in ours])
                queue.append(plan, "radio", self.label)
        self._emit(self.on_plan_changed, list(self.station.plan))
