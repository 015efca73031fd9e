"""``ListeningSession``: the one way to replace what plays (a list or an album, a mix, a playlist, a path,
a radio, a station from a prompt, files from the command line). The play it ends is logged "replaced"
(neither a skip nor a completion: it teaches nothing), and every replacement returns a ``Replacement``
whose ``undo`` puts the queue, the position and the station back (the cut play goes on: see
``player.session.PlaybackController.restore_snapshot``); a station from a prompt hands its ``Replacement``
to ``on_replaced`` once the prompt is read. Qt-free, like ``recommender.radio.session``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from recommender.radio.session import RadioSession


@dataclass
class Replacement:
    """One replacement of what played, and what ``ListeningSession.undo`` needs to put it back."""

    snapshot: Any  # ``player.queue_snapshot.QueueSnapshot``
    radio: tuple[int, str] | None  # (seed track id, label) of the station that was playing
    what: str  # what was replaced, for the notice: "the radio from X", "the queue"
    undone: bool = False
    radio_prompt: str | None = None  # the prompt of that station, when it was made from one

    @property
    def message(self) -> str:
        return f"{self.what[:1].upper()}{self.what[1:]} was replaced."


class ListeningSession:
    """The one way to replace what plays, each replacement undoable (see the module doc)."""

    def __init__(self, controller: Any, radio: RadioSession) -> None:
        self.controller = controller
        self.radio = radio
        # A station from a prompt replaces what plays only once the prompt is read: its Replacement
        # comes here then (``start_prompt``), never for a prompt the library cannot answer.
        self.on_replaced: list[Callable[[Replacement], None]] = []
        radio.on_prompt_started.append(self._prompt_started)

    def _before(self) -> Replacement | None:
        """What plays now, or None when nothing is queued (then there is nothing to undo)."""
        snapshot = self.controller.snapshot()
        if not snapshot.entries:
            return None
        radio = self.radio
        station = None
        if radio.label is not None and radio.seed_track_id is not None:
            station = (int(radio.seed_track_id), str(radio.label))
        what = f"the radio from {radio.label}" if station is not None else "the queue"
        if station is not None and radio.prompt is not None:
            what = f"the station {radio.label}"
        return Replacement(
            snapshot, station, what, radio_prompt=radio.prompt if station is not None else None
        )

    def play(
        self,
        track_ids: Iterable[int],
        source: str = "library",
        seed: str | None = None,
        start: int = 0,
        position: float = 0.0,
    ) -> Replacement | None:
        """Replace the queue with these tracks (a running radio ends) and play entry ``start``."""
        ids = [int(t) for t in track_ids]
        if not ids:
            return None
        before = self._before()
        self.radio.stop()
        self.controller.play_tracks(ids, source, seed, start, position)
        return before

    def follow_with(
        self, track_ids: Iterable[int], source: str = "radio", seed: str | None = None
    ) -> Replacement | None:
        """Keep the playing track and replace what follows it (a path from the playing song); a running
        radio ends. Undo puts the whole queue back."""
        before = self._before()
        self.radio.stop()
        with self.controller.lock:
            queue = self.controller.queue
            queue.remove([e.id for e in queue.upcoming()])
            queue.append([int(t) for t in track_ids], source, seed)
        return before

    def start_radio(self, seed_track_id: int, label: str) -> Replacement | None:
        """Start a radio from a seed song (it replaces the queue)."""
        before = self._before()
        self.radio.start(int(seed_track_id), label)
        return before

    def start_prompt(self, prompt: str, label: str) -> None:
        """Start a station from a prompt. What plays goes on while the prompt is read; only then does the
        station replace it, and ``on_replaced`` get the Replacement (if anything played). A prompt the
        library cannot answer replaces nothing (found in a walk of the app: the notice said "The station
        … was replaced", with Undo, beside "The station could not start")."""
        self.radio.start_prompt(prompt, label)

    def _prompt_started(self, _label: str) -> None:
        before = self._before()
        if before is not None:
            for hook in list(self.on_replaced):
                hook(before)

    def steer(self, settings: Any) -> bool:
        """New settings (the familiar <-> new dial) for the station playing: it is made again with them
        and plans on from the playing track, which goes on (found in a walk of the app: the dial moved
        and the queue stayed as it was). The session's skips rest as after an Undo; a station not yet
        planned just takes the settings. False when no station plays."""
        radio = self.radio
        radio.set_settings(settings)
        if radio.station is None or radio.seed_track_id is None or radio.label is None:
            return False
        with self.controller.lock:
            entry = self.controller.queue.current
        current = entry.track_id if entry is not None else None
        radio.resume(int(radio.seed_track_id), str(radio.label), current, prompt=radio.prompt)
        return True

    def undo(self, replacement: Replacement) -> bool:
        """Put back the queue, the entry, the position and the station that ``replacement`` replaced.
        Once only; False if it was undone already."""
        if replacement.undone:
            return False
        replacement.undone = True
        self.radio.stop()
        snap = replacement.snapshot
        entry = self.controller.restore_snapshot(snap)
        if replacement.radio is not None:
            seed, label = replacement.radio
            current = entry.track_id if entry is not None else None
            self.radio.resume(seed, label, current, prompt=replacement.radio_prompt)
        return True
