"""What the main window shows of the player (a mixin): the now-playing bar, the playing row, the side
panels, MPRIS and the tray follow each track started, each state and position, and a queue emptied under
a stopped track.

Why a module of its own: ``ui.window_playback`` sends the listener's commands to the controller; showing
what the player does is the other half, fed by ``ui.playback_bridge`` on the GUI thread.
"""

from __future__ import annotations

import os
from typing import Any

from recommender.reasons import station_text
from ui.library_rows import row_album, row_artist, row_title


class WindowNowPlaying:
    """The window's view of the player's events."""

    def _show_queue_emptied(self) -> None:
        """The queue changed: a stopped track whose entry was taken out, with nothing current in its place,
        is no longer shown (a walk emptied the queue after it ran out: the bar kept the last track, and
        Play did nothing and said nothing; Next cleared it)."""
        controller = self.controller
        if (
            controller is not None
            and self.current_entry is not None
            and controller.player.state == "stopped"
            and controller.queue.current is None
        ):
            self._state_changed("stopped")

    def _track_started(self, event: Any) -> None:
        entry = self.controller.queue.get(event.item.key) if self.controller else None
        if self.radio is not None:
            self.radio.track_started(entry)
        self._show_entry(entry, event.item.path, event.duration)
        self._audio_timer.start()
        self._notify_track(entry, event.item.path)

    def _notify_track(self, entry: Any, path: str) -> None:
        """A desktop notification for the track that started, unless the window is in front (the user
        sees it there) or the user turned them off in Settings."""
        notifier = getattr(self, "notifier", None)
        if notifier is None:
            return
        in_front = self.isVisible() and self.isActiveWindow() and not self.isMinimized()
        if not self.settings.notify_tracks or in_front:
            notifier.skip()
            return
        row = self.library.model.track(entry.track_id) if entry is not None else None
        if row is not None:
            notifier.track_started(row_title(row), row_artist(row), row_album(row))
        else:
            notifier.track_started(os.path.basename(path), "", "")

    def _show_entry(self, entry: Any, path: str, duration: float | None) -> None:
        """Show ``entry`` as the current track everywhere (bar, table, panels, MPRIS, tray)."""
        self.current_entry = entry
        track_id = entry.track_id if entry is not None else None
        self._current_track_id = track_id
        self.library.model.set_playing(track_id)
        row = self.library.model.track(track_id) if track_id is not None else None
        if row is not None:
            self._shown_missing = False
            title, artist, album = row_title(row), row_artist(row), row_album(row)
        else:  # a missing file: its stored tags ("Victory (file missing)"), as the queue names it
            self._shown_missing = track_id is not None
            stored = self._stored_track_info(track_id) if track_id is not None else None
            title, artist, album = (stored[0], stored[1], "") if stored else (os.path.basename(path), "", "")
        self.now_playing.show_track(title, artist, album, self.why_text(entry))
        self.now_playing.set_position(0.0, duration)
        self.covers.request(path, self._cover_loaded(path))
        self.setWindowTitle(f"{title} — {artist} · Encore" if artist else f"{title} · Encore")
        if artist:
            self.similar.show_artist(artist, track_id=track_id)
        if self.mpris is not None:
            self.mpris.track_changed()
        if self.tray is not None:
            self.tray.track_changed(title, artist)

        if self.taste is not None:
            self.taste.set_playing(track_id)

    def refresh_shown_entry(self) -> None:
        """After a reload: a current track shown as missing whose file is back is shown by its tags again."""
        current = self.controller.player.current if self.controller is not None else None
        track_id = self._current_track_id
        if getattr(self, "_shown_missing", False) and current is not None and track_id is not None:
            if self.library.model.track(track_id) is not None:
                self._show_entry(self.current_entry, current.path, current.duration)

    def why_text(self, entry: Any) -> str:
        """Why this track plays, in plain words."""
        if entry is None:
            return ""
        if entry.source == "radio":
            text = station_text(entry.seed)
            why = self.radio.why(entry.track_id) if self.radio is not None else ""
            return f"{text} · {why}" if why and why != "the seed" else text
        if entry.source == "album":
            return "Playing the album"
        return "From your library"

    def _cover_loaded(self, path: str) -> Any:
        def show(image: Any) -> None:
            current = self.controller.player.current if self.controller else None
            if current is not None and current.path == path:
                self.now_playing.set_cover(image)
                if getattr(self, "notifier", None) is not None:
                    self.notifier.cover_loaded(image)
                if self.mpris is not None:
                    self.mpris.cover_changed(path, image)

        return show

    def _position_changed(self, position: float, duration: float) -> None:
        self.now_playing.set_position(position, duration or None)
        if self.mpris is not None:
            self.mpris.position_changed(position)

    def _state_changed(self, state: str) -> None:
        self.now_playing.set_state(state)
        if state == "stopped" and self.controller is not None and self.controller.queue.current is None:
            self.now_playing.clear()
            self.setWindowTitle("Encore")  # the title says what the bar says
            self.library.model.set_playing(None)
            self.similar.clear_playing()  # the panels beside it too: not the last track's lists
            if self.current_entry is not None:  # the desktop too (a walk: MPRIS kept the last title)
                self.current_entry = self._current_track_id = None
                if self.mpris is not None:
                    self.mpris.track_changed()
            self._show_rating()  # nothing to love or ban (a walk found ♥ and ⊘ live on "Nothing playing")
        elif state == "stopped":  # the queue ran out or Stop: not "1:02 / -0:01" of the last track
            self.now_playing.set_position(0.0, None)
        if self.mpris is not None:
            self.mpris.state_changed(state)
        if self.tray is not None:
            self.tray.state_changed(state)
