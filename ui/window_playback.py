"""The main window's playback commands (a mixin): play, radio, stations, transport, files opened, and the
check that the sound reaches a device.

Commands go to the playback controller (``player.session``); what the window shows of the player's
events is ``ui.window_now_playing``.
"""

from __future__ import annotations

import os
from typing import Any

from player.text import sentence
from recommender.reasons import station_text
from ui.library_rows import DURATION, row_artist, row_title

#: How long into a track the window checks that its sound reaches an audio device (milliseconds).
AUDIO_CHECK_MS = 2500


class WindowPlayback:
    """Playback commands (play, radio, transport)."""

    def _wire_playback_controls(self) -> None:
        """Connect the now-playing bar's controls (called once from ``__init__``)."""
        from PySide6.QtCore import QTimer

        bar = self.now_playing
        bar.playPauseClicked.connect(self.toggle)
        bar.nextClicked.connect(self.next)
        bar.previousClicked.connect(self.previous)
        bar.stopClicked.connect(self.stop)
        bar.shuffleToggled.connect(self.set_shuffle)
        bar.repeatClicked.connect(self.cycle_repeat)
        bar.seekRequested.connect(self.seek)
        bar.why.clicked.connect(self.show_why)
        bar.volumeChanged.connect(self.set_volume)
        bar.set_volume(self.settings.volume)
        self._audio_warned = False
        self._audio_timer = QTimer(self)
        self._audio_timer.setSingleShot(True)
        self._audio_timer.setInterval(AUDIO_CHECK_MS)
        self._audio_timer.timeout.connect(self._check_audio)

    def play_tracks(self, track_ids: list[int], start: int = 0, source: str = "library") -> None:
        """Replace the queue with ``track_ids`` (the visible list, an album) and play entry ``start``."""
        if self.listening is None or not track_ids:
            return
        self.offer_undo(self.listening.play(track_ids, source, None, start))

    def offer_undo(self, replacement: Any) -> None:
        """Every replacement of what plays says so, with an Undo (``ListeningSession.undo``); the queue's
        header follows what now plays."""
        self._sync_station_header()
        if replacement is None or self.listening is None:
            return
        listening = self.listening

        def undo() -> None:
            if replacement.radio is not None:
                self.radio.set_settings(self._radio_settings())
            listening.undo(replacement)
            self._sync_station_header()

        self.notice.show_notice(replacement.message, "Undo", undo)

    def _sync_station_header(self) -> None:
        """The queue header names the radio or path that plays, and nothing once a list replaced it."""
        entry = self.controller.queue.current if self.controller is not None else None
        if self.radio is not None and self.radio.label is not None:
            self.queue_view.set_station(station_text(self.radio.label))
        elif entry is not None and entry.source == "radio" and entry.seed:
            self.queue_view.set_station(str(entry.seed), replanned=False)
        else:
            self.queue_view.set_station(None)

    def play_entry(self, entry_id: int) -> None:
        if self.controller is not None and entry_id is not None:
            self.controller.play_entry(int(entry_id))

    def start_radio(self, track_id: int) -> None:
        if self.listening is None or self.radio is None:
            return
        row = self.library.model.track(int(track_id))
        label = self._track_label(row) if row is not None else f"track {track_id}"
        self.radio.set_settings(self._radio_settings())
        self.offer_undo(self.listening.start_radio(int(track_id), label))
        self.settings.radio_seed_id, self.settings.radio_label = int(track_id), label
        self.settings.radio_prompt, self.settings.radio_dial = None, 0
        self.settings.save(self.store)

    def start_prompt_station(self, prompt: str, label: str, dial: int = 0) -> None:
        """A station from a prompt (the Stations tab): it replaces what plays, with Undo, once its first
        track is chosen; a prompt the library cannot answer is said under the box."""
        if self.listening is None or self.radio is None:
            return
        if "from:" in prompt.lower():  # a path through songs: planned once and queued, as "Radio to…" is
            self._queue_prompt_path(prompt, label)
            return
        self.radio.set_settings(self._radio_settings(dial))
        self.listening.start_prompt(prompt, label)  # its Undo is offered once it replaces what plays
        self.settings.radio_seed_id, self.settings.radio_label = None, label
        self.settings.radio_prompt, self.settings.radio_dial = prompt, int(dial)
        self.settings.save(self.store)

    def _queue_prompt_path(self, prompt: str, label: str) -> None:
        from ui.stations_view import plan_prompt_path

        def queued(steps: list[tuple[int, str]]) -> None:
            if self.listening is None or not steps:
                return
            for track_id, why in steps:
                self._path_why[(label, int(track_id))] = why
            self.offer_undo(self.listening.play([t for t, _w in steps], "radio", label, 0))
            self.queue_view.set_station(label, replanned=False)

        def failed(message: str) -> None:
            self.stations.show_error(f"The path could not be planned: {message.split(': ', 1)[-1]}")

        self.runner.start(plan_prompt_path, self.db_path, prompt, on_result=queued, on_error=failed)

    def toggle(self) -> None:
        if self.controller is not None:
            self.controller.toggle()

    def play(self) -> None:
        if self.controller is not None:
            self.controller.play()

    def pause(self) -> None:
        if self.controller is not None:
            self.controller.pause()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.now_playing.why.setText("")  # "Radio from …" goes with the stopped track

    def show_why(self) -> None:
        """The "Radio from …" / "From your library" line was clicked: show the station's seed (or the
        playing track) in the library, and the queue it plays from."""
        entry = self.current_entry
        if entry is None:
            return
        seed = self.radio.seed_track_id if self.radio is not None and entry.source == "radio" else None
        target = seed if seed is not None else entry.track_id
        self.tabs.setCurrentWidget(self.library)
        if self.library.model.row_of(target) is None:
            self.library.filter.clear()
            self.library._apply_filter()
            self.library.artists.setCurrentRow(0)
        self.library.select_track(target)
        self.queue_view.list.setFocus()

    def set_shuffle(self, on: bool) -> None:
        if self.controller is not None:
            self.controller.queue.set_shuffle(bool(on))

    def set_repeat(self, mode: str) -> None:
        if self.controller is not None:
            self.controller.queue.set_repeat(mode)

    def cycle_repeat(self) -> None:
        if self.controller is not None:
            order = ("off", "all", "one")
            self.set_repeat(order[(order.index(self.controller.queue.repeat) + 1) % len(order)])

    def _sync_modes(self) -> None:
        """The queue changed: show its shuffle and repeat modes (buttons, MPRIS)."""
        queue = self.controller.queue if self.controller is not None else None
        if queue is None:
            return
        modes = (queue.shuffle, queue.repeat)
        if modes != getattr(self, "_shown_modes", None):
            self._shown_modes = modes
            self.now_playing.set_modes(*modes)
            if self.mpris is not None:
                self.mpris.modes_changed()

    def next(self) -> None:
        if (
            self.controller is not None
            and self.controller.next() is None
            and self.controller.queue.current is None
        ):
            self._state_changed("stopped")  # nothing left (a stopped track taken out): the bar says so too

    def previous(self) -> None:
        if self.controller is not None:
            self.controller.previous()

    def seek(self, seconds: float) -> None:
        if self.controller is not None:
            self.controller.seek(max(0.0, float(seconds)))
            resume = self.controller.resume_position
            if resume is not None:  # the restored track, not started yet: show where it will start
                self._position_changed(resume, self.controller.player.duration or 0.0)

    def seek_relative(self, delta: float) -> None:
        if self.controller is not None and self.controller.player.current is not None:
            self.seek(self.controller.position + delta)

    # -- playback events (GUI thread) -------------------------------------------------------------------
    def _track_info(self, track_id: int) -> tuple[str, str, float | None] | None:
        row = self.library.model.track(track_id)
        if row is not None:
            return row_title(row), row_artist(row), row[DURATION]
        return self._stored_track_info(track_id)

    def _stored_track_info(self, track_id: int) -> tuple[str, str, float | None] | None:
        """A track the table does not show (its file is missing: a folder renamed or unplugged; or the
        table is still loading) is still named by its stored tags, never as a bare id, and marked missing
        only when it is. Cached until the next reload."""
        cache: dict[int, Any] = self.__dict__.setdefault("_stored_info", {})
        if track_id not in cache:
            from player.store.tracks import get_track

            stored = get_track(self.store, track_id)
            cache[track_id] = (
                None
                if stored is None
                else (
                    (stored.get("title") or os.path.basename(stored["path"]))
                    + (" (file missing)" if stored.get("missing") else ""),
                    stored.get("artist") or "",
                    stored.get("duration"),
                )
            )
        return cache[track_id]

    def _library_label(self, track_id: int) -> str | None:
        """The track as the library table names it ("Title — Artist", tidy title), or None if unknown."""
        row = self.library.model.track(track_id)
        return f"{row_title(row)} — {row_artist(row)}" if row is not None else None

    @staticmethod
    def _track_label(row: tuple) -> str:
        return f"{row_artist(row)} – {row_title(row)}"

    def open_files(self, files: list[str]) -> None:
        """Another launch of Encore (or the command line) asked for these files: come to the front and
        play the ones in the library, in the order given."""
        from player.store.tracks import get_track_by_path

        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        if not files or self.controller is None:
            return
        ids, unknown = [], []
        for path in files:
            track = get_track_by_path(self.store, os.path.realpath(path)) or get_track_by_path(
                self.store, path
            )
            (ids.append(track["id"]) if track is not None else unknown.append(path))
        if ids:
            self.play_tracks(ids, 0)
        if unknown:
            self.statusBar().showMessage(
                f"Not in your library: {os.path.basename(unknown[0])}"
                + (f" and {len(unknown) - 1} more" if len(unknown) > 1 else "")
                + " (add its folder in Settings)",
                10000,
            )

    def _playback_error(self, message: str) -> None:
        """A file failed (the controller has skipped past it): say why; a vanished file leaves the table."""
        self.statusBar().showMessage(message, 10000)
        if message.startswith("file not found"):
            self.reload_library()

    def _check_audio(self) -> None:
        """A few seconds into a track: warn once when it decodes but no sound reaches a device."""
        player = self.controller.player if self.controller is not None else None
        if player is None or player.audio_reaches_output() is not False or self._audio_warned:
            return
        self._audio_warned = True
        self.notice.show_notice(
            sentence(player.no_sound_message()),
            "Settings…",
            self.open_settings,
            timeout_ms=0,
        )

    def _play_finished(self, play: Any) -> None:
        self.library.model.add_play(int(play.track_id), str(play.outcome))
        if self.taste is not None:
            self.taste.mark_stale()

    def _station_changed(self, label: str | None) -> None:
        self.queue_view.set_station(station_text(label) if label else None)
