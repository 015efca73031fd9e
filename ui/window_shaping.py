"""Shaping what plays, in the main window (a mixin of ``MainWindow``): love and ban, the Playlists tab,
search by sound from the filter box, and "Radio to…" (a path from the playing track to another).

- **Love / ban**: two buttons in the now-playing bar, the Playback menu (Ctrl+L love, Ctrl+B ban; a ban
  of the playing track also skips it), the library's context menu (track or artist) and a Bans dialog
  that lists every ban with Unban (undo). A ban takes the track out of the running radio at once, and
  the library's rows show the new marks (``ui.library_model``) without a reload.
  MPRIS shows the rating as ``xesam:userRating`` (1.0 loved, 0.0 banned).
- **Playlists**: ``ui.playlists_panel`` as a tab; "Add to playlist" in the library's context menu.
- **Sounds**: "sounds: calm piano" in the library filter ranks the analysed tracks by
  ``recommender.shaping.mood`` (in a worker) and shows the best matches in that order.
- **Radio to…**: ``recommender.shaping.path`` from the playing track (or the first of two selected tracks) to
  the chosen one, queued like a radio after the playing track, each step with its reason.

Core calls only: the SQL lives in ``player.store`` and the maths in ``recommender``.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from PySide6.QtWidgets import QToolButton

from player.text import count_text
from ui.for_you_view import FOR_YOU_NAME

log = logging.getLogger(__name__)

MOOD_LIMIT = 50  # tracks a "sounds:" search shows
MOOD_MIN_SCORE = 0.5  # ... scoring at least this many standard deviations above the library mean
PATH_PREFIX = "Path to "  # the queue's seed label of a path (source "radio"): not a radio station


def rank_sounds(db_path: str, query: str) -> tuple[list[tuple[int, str]], str | None]:
    """(track id, why) of the tracks that sound like ``query``, and why there are none when the query
    names no known sound (runs in a worker). Why returned, not raised: an unknown word is an answer
    (every filter miss asks), not a fault to log with a traceback."""
    from player.store import Store
    from recommender.shaping.mood import MoodError, rank_by_mood

    with Store.open(db_path) as store:
        try:
            hits = rank_by_mood(store, query, MOOD_LIMIT, MOOD_MIN_SCORE)
        except MoodError as exc:
            return [], str(exc)
        return [(h.track_id, h.why) for h in hits], None


def plan_path(db_path: str, a: int, b: int, n: int | None) -> list[tuple[int, str]]:
    """(track id, why) of the path from A to B (runs in a worker)."""
    from player.store import Store
    from recommender.shaping.path import song_path

    with Store.open(db_path) as store:
        return [(s.track_id, s.why) for s in song_path(store, a, b, n)]


class WindowShaping:
    """Love/ban, playlists, search by sound and Radio to… for the main window."""

    def _build_shaping(self) -> None:
        """Called once from ``MainWindow.__init__`` after the menus."""
        from ui.playlists_panel import PlaylistsPanel

        self._path_why: dict[tuple[str, int], str] = {}
        self.playlists = PlaylistsPanel(self.store)
        self.tabs.addTab(self.playlists, "Playlists")
        self.playlists.playRequested.connect(self.play_playlist)
        self.playlists.message.connect(
            lambda text: self.statusBar().showMessage(text.split("\n", 1)[0], 8000)
        )
        # Tracks dragged from the Library: holding them over the Playlists tab opens it for the drop.
        self.tabs.tabBar().setChangeCurrentOnDrag(True)
        self.tabs.tabBar().setAcceptDrops(True)

        self.love_button = QToolButton()
        self.love_button.setText("♥")
        self.love_button.setCheckable(True)
        self.love_button.setAutoRaise(True)
        self.love_button.setToolTip("Love this track (Ctrl+L): it weighs more than a completion")
        self.love_button.clicked.connect(lambda _checked=False: self.love_current())
        self.ban_button = QToolButton()
        self.ban_button.setText("⊘")
        self.ban_button.setCheckable(True)
        self.ban_button.setAutoRaise(True)
        self.ban_button.setToolTip("Ban this track (Ctrl+B): never played by the radio or mixes again")
        self.ban_button.clicked.connect(lambda _checked=False: self.ban_current())
        self.now_playing.add_tool_widget(self.love_button)
        self.now_playing.add_tool_widget(self.ban_button)
        self._show_rating()

        from PySide6.QtWidgets import QMenu

        menu = QMenu("&Rate", self)
        self.menuBar().insertMenu(self.help_menu.menuAction(), menu)  # Help stays last
        self.love_action = self._action(menu, "Love the playing track", "Ctrl+L", self.love_current)
        menu.aboutToShow.connect(self._show_rating)
        self.ban_action = self._action(
            menu, "Ban the playing track (and skip it)", "Ctrl+B", self.ban_current
        )
        menu.addSeparator()
        self._action(menu, "Bans…", "Ctrl+Shift+B", self.show_bans)
        self.library.contextMenuAboutToShow.connect(self._library_menu)
        self.library.soundsRequested.connect(self.search_sounds)
        self.library.model.modelReset.connect(self._filter_found_nothing)

    # -- love and ban --------------------------------------------------------------------------------
    def _playing_id(self) -> int | None:
        """The playing track (None also once the window has shut down: its store is closed)."""
        entry = self.current_entry if not getattr(self, "_shut", False) else None
        return int(entry.track_id) if entry is not None else None

    def current_user_rating(self) -> float | None:
        """The playing track's rating for MPRIS: 1.0 loved, 0.0 banned, None unrated."""
        from player.store.ratings import effective_rating

        track_id = self._playing_id()
        if track_id is None:
            return None
        rating = effective_rating(self.store, track_id)
        return {1: 1.0, -1: 0.0}.get(rating)

    def _show_rating(self) -> None:
        from player.store.ratings import effective_rating, track_rating

        track_id = self._playing_id()
        rating = effective_rating(self.store, track_id) if track_id is not None else 0
        for button, value in ((self.love_button, 1), (self.ban_button, -1)):
            button.setEnabled(track_id is not None)
            button.setChecked(rating == value)
        love_action = getattr(self, "love_action", None)  # built after the first call
        if love_action is not None:
            # What Ctrl+L does now: it removes a love the playing track already has.
            own = track_rating(self.store, track_id) if track_id is not None else 0
            love_action.setText("Unlove the playing track" if own == 1 else "Love the playing track")

    def rate(self, track_ids: list[int], rating: int | None, artist: str | None = None) -> None:
        """Love (1), ban (-1) or unrate (None) tracks, or the ``artist`` when given."""
        from player.store import ratings

        if artist is not None:
            if rating is None:
                ratings.unrate_artist(self.store, artist)
            else:
                ratings.rate_artist(self.store, artist, rating)
        else:
            for track_id in track_ids:
                if rating is None:
                    ratings.unrate_track(self.store, track_id)
                else:
                    ratings.rate_track(self.store, track_id, rating)
        row = self.library.model.track(track_ids[0]) if artist is None and len(track_ids) == 1 else None
        if artist is not None:
            what = f"the artist {artist}"
        elif row is not None:
            what = self._track_label(row)
        else:
            what = count_text(len(track_ids))
        done = {1: "Loved", -1: "Banned", None: "Cleared the rating of"}[rating]
        self.statusBar().showMessage(f"{done} {what}", 5000)
        if rating == -1:
            banned = ratings.banned_track_ids(self.store)
            if self.radio is not None:
                self.radio.exclude(banned)
        elif self.radio is not None:
            self.radio.invalidate()
        self.library.model.set_ratings(ratings.ratings_of(self.store))  # the ♥ / ⊘ marks of the rows
        self.library.panes.set_artist_ratings(ratings.rated_artists(self.store))  # and of the artists
        if getattr(self, "similar", None) is not None:
            self.similar.refresh()  # Fans also like / Sounds like drop (or bring back) the artist now
        self._show_rating()
        if self.mpris is not None:
            self.mpris.metadata_changed()
        if getattr(self, "bans_dialog", None) is not None and self.bans_dialog.isVisible():
            self._fill_bans()

    def love_current(self) -> None:
        track_id = self._playing_id()
        if track_id is None:
            return
        from player.store.ratings import track_rating

        self.rate([track_id], None if track_rating(self.store, track_id) == 1 else 1)

    def ban_current(self) -> None:
        track_id = self._playing_id()
        if track_id is None:
            return
        from player.store.ratings import track_rating

        if track_rating(self.store, track_id) == -1:
            self.rate([track_id], None)
            return
        self.rate([track_id], -1)
        self.next()  # a banned track is not heard to its end

    def show_bans(self) -> Any:
        """The bans, newest first, with Unban (undo)."""
        from PySide6.QtWidgets import QDialog, QDialogButtonBox, QListWidget, QPushButton, QVBoxLayout

        dialog = QDialog(self)
        dialog.setWindowTitle("Bans")
        self.bans_list = QListWidget(dialog)
        self.unban_button = QPushButton("Unban", dialog)
        self.unban_button.clicked.connect(self._unban_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        buttons.addButton(self.unban_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(dialog)
        layout.addWidget(self.bans_list)
        layout.addWidget(buttons)
        dialog.resize(480, 360)
        self.bans_dialog = dialog
        self._fill_bans()
        dialog.open()
        return dialog

    def _fill_bans(self) -> None:
        from player.store.ratings import BAN, list_ratings

        self._bans = list_ratings(self.store, BAN)
        self.bans_list.clear()
        for r in self._bans:
            if r["kind"] == "artist":
                self.bans_list.addItem(f"Artist: {r['artist']}")
            else:
                self.bans_list.addItem(f"{r['artist'] or 'Unknown artist'} – {r['title'] or r['path']}")
        if not self._bans:
            self.bans_list.addItem("Nothing is banned.")
        self.unban_button.setEnabled(bool(self._bans))

    def _unban_selected(self) -> None:
        rows = sorted({i.row() for i in self.bans_list.selectedIndexes()}) or [0]
        for row in rows:
            if 0 <= row < len(self._bans):
                r = self._bans[row]
                if r["kind"] == "artist":
                    self.rate([], None, artist=r["artist"])
                else:
                    self.rate([int(r["track_id"])], None)
        self._fill_bans()

    # -- library context menu ------------------------------------------------------------------------
    def _library_menu(self, menu: Any, ids: list[int]) -> None:
        from player.store.playlists import list_playlists
        from ui.library_rows import ARTIST

        if not ids:
            return
        clicked = getattr(self.library, "context_track_id", None)  # the row under the pointer
        row = self.library.model.track(clicked if clicked is not None else ids[0])
        artist = row[ARTIST] if row is not None and row[ARTIST] else None
        menu.addSeparator()
        menu.addAction("♥ Love", lambda: self.rate(ids, 1))
        menu.addAction("⊘ Ban", lambda: self.rate(ids, -1))
        if artist:  # both ways, as for a track (a walk of the app found no way to love an artist)
            from player.store.ratings import artist_rating

            # A rated artist's own rating is undone here too (only Rate ▸ Bans… could, found in a walk).
            rated = artist_rating(self.store, artist)
            unrate = partial(self.rate, [], None, artist=artist)
            if rated == 1:
                menu.addAction(f"Clear the love of the artist {artist}", unrate)
            else:
                menu.addAction(f"♥ Love the artist {artist}", lambda: self.rate([], 1, artist=artist))
            if rated == -1:
                menu.addAction(f"Unban the artist {artist}", unrate)
            else:
                menu.addAction(f"⊘ Ban the artist {artist}", lambda: self.rate([], -1, artist=artist))
        menu.addAction("Clear love / ban", lambda: self.rate(ids, None))
        add = menu.addMenu("Add to playlist")
        for p in list_playlists(self.store):
            if not p["smart"]:
                add.addAction(p["name"], lambda pid=p["id"]: self.playlists.add_tracks(pid, ids))
        add.addSeparator()
        add.addAction("New playlist…", lambda: self._add_to_new_playlist(ids))
        menu.addAction(self.radio_to_action)

    def _add_to_new_playlist(self, ids: list[int]) -> None:
        playlist_id = self.playlists.create_playlist()
        if playlist_id is not None:
            self.playlists.add_tracks(playlist_id, ids)

    # -- playlists -----------------------------------------------------------------------------------
    def play_playlist(self, track_ids: list[int], start: int, name: str) -> None:
        if self.listening is None or not track_ids:
            return
        self.offer_undo(self.listening.play(track_ids, "playlist", name, start))

    def why_text(self, entry: Any) -> str:
        if entry is not None and entry.source == "playlist" and entry.seed:
            return entry.seed if entry.seed.startswith(FOR_YOU_NAME) else f"Playlist {entry.seed}"
        why = self._path_why.get((entry.seed, int(entry.track_id))) if entry is not None else None
        if entry is not None and entry.source == "radio" and why is not None:
            return f"{entry.seed} · {why}"
        if entry is not None and entry.source == "radio" and str(entry.seed or "").startswith(PATH_PREFIX):
            return str(entry.seed)  # a path restored after a restart: its steps' reasons are not kept
        return super().why_text(entry)

    def _show_entry(self, entry: Any, path: str, duration: float | None) -> None:
        super()._show_entry(entry, path, duration)
        self._show_rating()

    # -- search by sound -----------------------------------------------------------------------------
    def _filter_found_nothing(self) -> None:
        """No tag matches the filter's words: if they describe a sound ("ambient"), show the tracks that
        sound like it (a track's genre tag is often empty or says something else)."""
        model = self.library.model
        text = model.filter_text()
        if text and model.rowCount() == 0 and model._only is None and model.all_rows():
            self.search_sounds(text, fallback=True)

    def search_sounds(self, query: str, fallback: bool = False) -> None:
        if not query:
            self.library.show_only(None)
            return
        self._sounds_query = query

        def current() -> bool:  # the user has not typed on
            model = self.library.model
            if getattr(self, "_sounds_query", None) != query:
                return False
            return not fallback or (model.filter_text() == query and model.rowCount() == 0)

        def shown(result: tuple[list[tuple[int, str]], str | None]) -> None:
            hits, unknown = result
            if unknown is not None:
                if not fallback and current():
                    self.library.show_only([])
                    self.statusBar().showMessage(unknown, 10000)
                return  # a filter miss that is no sound either: "No matches" stands
            if not current() or (fallback and not hits):
                return
            self.library.show_only([t for t, _w in hits])
            if fallback:
                text = f"No tag matches '{query}': {count_text(len(hits))} that sound like it"
            elif hits:
                text = f"{count_text(len(hits))} {'sounds' if len(hits) == 1 else 'sound'} like '{query}'"
            else:
                text = f"No analysed track sounds like '{query}'"
            self.statusBar().showMessage(text, 8000)

        def failed(message: str) -> None:
            if fallback or not current():
                return  # not a sound either: the filter's empty result stands
            self.library.show_only([])
            self.statusBar().showMessage(message.split(": ", 1)[-1] if message else "Unknown sound", 10000)

        self.runner.start(rank_sounds, self.db_path, query, on_result=shown, on_error=failed)

    # -- radio to ------------------------------------------------------------------------------------
    def radio_to_selection(self) -> None:
        """A path from the playing track (or the first of two selected tracks) to the selected one."""
        selected = self.library.selected_ids()
        playing = self._playing_id()
        if len(selected) >= 2:
            a, b = selected[0], selected[-1]
        elif selected and playing is not None and selected[0] != playing:
            a, b = playing, selected[0]
        else:
            self.statusBar().showMessage(
                "Radio to…: play a track and select the destination (or select two tracks)", 8000
            )
            return
        self.radio_to(a, b)

    def radio_to(self, a: int, b: int, n: int | None = None) -> None:
        """A path from A to B as a station (``n`` tracks; None: as many as the distance asks)."""
        row = self.library.model.track(b)
        target = self._track_label(row) if row is not None else f"track {b}"
        label = f"{PATH_PREFIX}{target}"

        def queued(steps: list[tuple[int, str]]) -> None:
            if self.controller is None:
                return
            for track_id, why in steps:
                self._path_why[(label, int(track_id))] = why
            ids = [t for t, _w in steps]
            if self.listening is None:
                return
            if self._playing_id() == a and self.controller.queue.current is not None:
                self.offer_undo(self.listening.follow_with(ids[1:], "radio", label))  # A plays on
                # A's entry keeps its old source: the bar says what now plays after it, not "Playlist …"
                self.now_playing.why.setText(f"{label} · {steps[0][1]}")
            else:
                self.offer_undo(self.listening.play(ids, "radio", label, 0))
            self.queue_view.set_station(label, replanned=False)  # a path is fixed once planned
            self.statusBar().showMessage(f"{label}: {count_text(len(ids))}", 8000)

        def failed(message: str) -> None:
            self.statusBar().showMessage(f"Radio to… failed: {message.split(': ', 1)[-1]}", 10000)

        self.runner.start(plan_path, self.db_path, int(a), int(b), n, on_result=queued, on_error=failed)
