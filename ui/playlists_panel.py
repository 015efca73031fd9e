"""The Playlists tab: playlists on the left (static and smart), the chosen one's tracks on the right.

Create, rename, delete, import and export (M3U8/M3U, XSPF), play; reorder a playlist's tracks by
dragging them; drop tracks from the library table onto the track list or onto a playlist to add them.
A smart playlist is edited in ``ui.rule_dialog`` and its tracks are computed live. All of it goes
through ``player.store.playlists`` / ``smart`` / ``player.playlist_files`` on the window's store (small,
fast calls); messages (errors, import reports with the entries not found) show in the panel's own
message line (``ui.message_line``), and every action that succeeds says what it did.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from player.playlist_files import NothingMatched, PlaylistFileError, export_playlist, import_playlist
from player.store import playlists as pl
from player.store.smart import SmartRuleError, describe_rules, smart_tracks
from player.text import count_text
from ui.confirm import ask_first, ask_name
from ui.file_dialogs import music_start_folder, open_file_name, save_file_name
from ui.flow_layout import flow_of
from ui.library_rows import format_duration
from ui.message_line import MessageLine
from ui.playlist_lists import ID_ROLE, PlaylistList, TrackList

EMPTY_HINT = (
    "No playlists yet. New makes one; New smart… one that fills itself from rules; Import… reads an "
    "M3U8 or XSPF file. Tracks come from the Library: right-click ▸ Add to playlist, or drag them onto "
    "this tab and then onto a playlist."
)
EMPTY_PLAYLIST_HINT = (
    "This playlist is empty: in the Library, right-click tracks ▸ Add to playlist, or drag them here "
    "(hold them over the Playlists tab to switch to it)."
)


class PlaylistsPanel(QWidget):
    playRequested = Signal(list, int, str)  # track ids, start index, playlist name
    changed = Signal()  # playlists were created, renamed or deleted (menus rebuild)

    def __init__(self, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.lists = PlaylistList()
        self.tracks = TrackList()
        self.rules_label = QLabel("")  # the smart rules, the track count and length, or a hint
        self.rules_label.setObjectName("playlistInfo")
        self.rules_label.setWordWrap(True)
        self.messages = MessageLine()
        self.message = self.messages.message  # what the last action did (the window's status bar shows it)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("new", "New", lambda: self.create_playlist()),
            ("smart", "New smart…", lambda: self.edit_smart()),
            ("rename", "Rename", lambda: self.rename_current()),
            ("delete", "Delete", lambda: self.delete_current()),
            ("import", "Import…", lambda: self.import_file()),
            ("export", "Export…", None),
            ("remove", "Remove tracks", lambda: self.remove_selected()),
            ("play", "Play", lambda: self.play_current()),
        ):
            button = QPushButton(text)
            if slot is not None:
                button.clicked.connect(lambda _checked=False, s=slot: s())
            self.buttons[key] = button
        export_menu = QMenu(self)
        export_menu.addAction("Paths relative to the playlist file…", lambda: self.export_current())
        export_menu.addAction("Absolute paths…", lambda: self.export_current(relative=False))
        self.buttons["export"].setMenu(export_menu)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.rules_label)
        right_layout.addWidget(self.tracks, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.lists)
        split.addWidget(right)
        split.setSizes([220, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(flow_of(list(self.buttons.values())))  # wraps when the tab is narrow
        layout.addWidget(split, 1)
        layout.addWidget(self.messages)

        self.lists.currentItemChanged.connect(lambda *_a: self._picked())
        self.lists.itemDoubleClicked.connect(self._list_double_clicked)
        self.lists.tracksDropped.connect(self.add_tracks)
        self.tracks.itemDoubleClicked.connect(lambda item: self.play_current(self.tracks.row(item)))
        self.tracks.tracksDropped.connect(lambda ids, row: self._add_to_current(ids, row))
        self.tracks.model().rowsMoved.connect(self._rows_moved)
        remove = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.tracks)
        remove.setContext(Qt.ShortcutContext.WidgetShortcut)
        remove.activated.connect(self.remove_selected)
        self.refresh()

    # -- reading -------------------------------------------------------------------------------------
    def current(self) -> dict[str, Any] | None:
        item = self.lists.currentItem()
        return pl.get_playlist(self.store, int(item.data(ID_ROLE))) if item is not None else None

    def refresh(self, select: int | None = None) -> None:
        keep = select
        if keep is None and self.lists.currentItem() is not None:
            keep = int(self.lists.currentItem().data(ID_ROLE))
        self.lists.blockSignals(True)
        self.lists.clear()
        for p in pl.list_playlists(self.store):
            item = QListWidgetItem(f"{p['name']}  ⚙" if p["smart"] else p["name"])
            item.setData(ID_ROLE, int(p["id"]))
            item.setToolTip(
                p["problem"]
                or ("Smart playlist (double-click: edit its rules)" if p["smart"] else "Playlist")
            )
            self.lists.addItem(item)
            if p["id"] == keep:
                self.lists.setCurrentItem(item)
        if self.lists.currentItem() is None and self.lists.count():
            self.lists.setCurrentRow(0)
        self.lists.blockSignals(False)
        self.show_current()

    def _picked(self) -> None:
        """The listener chose another playlist: the last message was about the one before."""
        self.messages.say("")
        self.show_current()

    def _enable_buttons(self, playlist: dict[str, Any] | None) -> None:
        for key in ("rename", "delete", "export", "play", "remove"):
            self.buttons[key].setEnabled(playlist is not None)
        if playlist is not None and playlist["smart"]:
            self.buttons["remove"].setEnabled(False)  # its tracks follow the rules
        if playlist is not None and not self.tracks.count():
            self.buttons["play"].setEnabled(False)

    def show_current(self) -> None:
        playlist = self.current()
        self.tracks.clear()
        self.rules_label.setText("" if self.lists.count() else EMPTY_HINT)
        self._enable_buttons(playlist)
        if playlist is None:
            return
        smart = playlist["smart"]
        self.tracks.setDragDropMode(
            QAbstractItemView.DragDropMode.NoDragDrop if smart else QAbstractItemView.DragDropMode.DragDrop
        )
        if playlist["problem"]:
            rows = []
            info = f"This smart playlist cannot run: {playlist['problem']}"
        elif smart:
            try:
                rows = smart_tracks(self.store, playlist["rules"])
                info = f"Smart: {describe_rules(playlist['rules'])} — {self._summary(rows)}"
            except SmartRuleError as exc:
                rows = []
                info = f"These rules cannot run: {exc}"
        else:
            rows = pl.playlist_tracks(self.store, playlist["id"])
            info = self._summary(rows) if rows else EMPTY_PLAYLIST_HINT
        self.rules_label.setText(info)
        for r in rows:
            who = r.get("artist") or r.get("album_artist") or "Unknown artist"
            title = r.get("title") or os.path.basename(r.get("path") or "")
            length = format_duration(r.get("duration"))
            item = QListWidgetItem(f"{who} – {title}" + (f"   {length}" if length else ""))
            item.setToolTip(r.get("path") or "")
            item.setData(ID_ROLE, int(r["entry_id"]) if not smart else int(r["id"]))
            item.setData(ID_ROLE + 1, int(r["id"]))
            self.tracks.addItem(item)
        self._enable_buttons(playlist)

    @staticmethod
    def _summary(rows: list[dict[str, Any]]) -> str:
        total = sum(r.get("duration") or 0.0 for r in rows)
        return f"{count_text(len(rows))} · {format_duration(total) or '0:00'}"

    def track_ids(self) -> list[int]:
        return [int(self.tracks.item(i).data(ID_ROLE + 1)) for i in range(self.tracks.count())]

    # -- editing -------------------------------------------------------------------------------------
    def create_playlist(self, name: str | None = None) -> int | None:
        if name is None:
            name = ask_name(self, "New playlist")
            if name is None:
                return None
        try:
            playlist_id = pl.create_playlist(self.store, name)
        except pl.PlaylistError as exc:
            self.messages.say(f"Cannot create the playlist: {exc}")
            return None
        self.messages.say(f"Created the playlist “{name.strip()}”")
        self.refresh(select=playlist_id)
        self.changed.emit()
        return playlist_id

    def edit_smart(self, playlist: dict[str, Any] | None = None) -> Any:
        """Open the rule dialog (a new smart playlist, or ``playlist``'s rules). Returns the dialog;
        it saves when accepted."""
        from ui.rule_dialog import RuleDialog

        dialog = RuleDialog(
            self.store, playlist["name"] if playlist else "", playlist["rules"] if playlist else None, self
        )
        dialog.accepted.connect(lambda: self._save_smart(dialog, playlist))
        self.rule_dialog = dialog
        dialog.open()
        return dialog

    def _save_smart(self, dialog: Any, playlist: dict[str, Any] | None) -> None:
        try:
            if playlist is None:
                playlist_id = pl.create_playlist(self.store, dialog.name(), dialog.rules())
            else:
                playlist_id = playlist["id"]
                pl.set_rules(self.store, playlist_id, dialog.rules())
                if dialog.name() != playlist["name"]:
                    pl.rename_playlist(self.store, playlist_id, dialog.name())
        except (pl.PlaylistError, SmartRuleError) as exc:
            self.messages.say(f"Cannot save the smart playlist: {exc}")
            return
        self.messages.say(f"Saved the smart playlist “{dialog.name().strip()}”")
        self.refresh(select=playlist_id)
        self.changed.emit()

    def _list_double_clicked(self, item: QListWidgetItem) -> None:
        playlist = pl.get_playlist(self.store, int(item.data(ID_ROLE)))
        if playlist is not None and playlist["smart"]:
            self.edit_smart(playlist)
        else:
            self.play_current()

    def rename_current(self, name: str | None = None) -> None:
        playlist = self.current()
        if playlist is None:
            return
        if name is None:
            name = ask_name(self, "Rename playlist", playlist["name"])
            if name is None or name.strip() == playlist["name"]:
                return
        try:
            pl.rename_playlist(self.store, playlist["id"], name)
        except pl.PlaylistError as exc:
            self.messages.say(f"Cannot rename “{playlist['name']}”: {exc}")
            return
        self.messages.say(f"Renamed “{playlist['name']}” to “{name.strip()}”")
        self.refresh()
        self.changed.emit()

    def delete_current(self) -> QMessageBox | None:
        """Ask, then delete the shown playlist (found in a walk of the app: one click lost it for good)."""
        playlist = self.current()
        if playlist is None:
            return None
        what = "smart playlist" if playlist["smart"] else "playlist"
        text = f"Delete the {what} “{playlist['name']}”? Its tracks stay in your library."
        return ask_first(self, "Delete this playlist?", text, lambda: self._delete(playlist))

    def _delete(self, playlist: dict[str, Any]) -> None:
        pl.delete_playlist(self.store, playlist["id"])
        self.messages.say(f"Deleted the playlist “{playlist['name']}”")
        self.refresh()
        self.changed.emit()

    def add_tracks(self, playlist_id: int, track_ids: list[int], position: int | None = None) -> None:
        try:
            pl.add_tracks(self.store, playlist_id, track_ids, position)
        except pl.PlaylistError as exc:
            self.messages.say(f"Cannot add tracks: {exc}")
            return
        playlist = pl.get_playlist(self.store, playlist_id)
        where = f"“{playlist['name']}”" if playlist else "the playlist"
        self.messages.say(f"Added {count_text(len(track_ids))} to {where}")
        current = self.current()
        if current is not None and current["id"] == playlist_id:
            self.show_current()

    def _add_to_current(self, track_ids: list[int], row: int) -> None:
        playlist = self.current()
        if playlist is not None:
            self.add_tracks(playlist["id"], track_ids, row)

    def _rows_moved(self, *_args: QModelIndex) -> None:
        """A drag reordered the list: store the new order."""
        playlist = self.current()
        if playlist is None or playlist["smart"]:
            return
        order = [int(self.tracks.item(i).data(ID_ROLE)) for i in range(self.tracks.count())]
        pl.set_entry_order(self.store, playlist["id"], order)
        self.messages.say("")  # the new order is what the listener sees: a message from before is stale

    def remove_selected(self) -> None:
        playlist = self.current()
        if playlist is None or playlist["smart"]:
            return
        entries = [int(i.data(ID_ROLE)) for i in self.tracks.selectedItems()]
        if entries:
            n = pl.remove_entries(self.store, playlist["id"], entries)
            self.messages.say(f"Removed {count_text(n)} from “{playlist['name']}”")
            self.show_current()

    # -- files and playing ---------------------------------------------------------------------------
    def import_file(self, path: str | None = None) -> Any:
        if path is None:
            path = open_file_name(
                self,
                "Import a playlist",
                music_start_folder(self.store),
                "Playlists (*.m3u8 *.m3u *.xspf);;All files (*)",
                remember=(self.store, "playlists"),
            )
            if not path:
                return None
        try:
            result = import_playlist(self.store, path)
        except NothingMatched as exc:
            self.messages.say(f"Cannot import: {exc} (see details)", exc.missing_shown)
            return None
        except PlaylistFileError as exc:
            self.messages.say(f"Cannot import: {exc}")
            return None
        text = f"Imported {count_text(result.added)} into “{result.name}”."
        if result.by_name:
            text += f" {result.by_name} found by artist and title."
        if result.missing:
            n = len(result.missing)
            text += f" {n} {'entry was' if n == 1 else 'entries were'} not found (see details)."
        self.messages.say(text, result.missing_shown)
        self.refresh(select=result.playlist_id)
        self.changed.emit()
        return result

    def export_current(self, path: str | None = None, relative: bool = True) -> int | None:
        playlist = self.current()
        if playlist is None:
            return None
        if path is None:
            path = save_file_name(
                self,
                "Export the playlist",
                os.path.join(music_start_folder(self.store), f"{playlist['name']}.m3u8"),
                "M3U8 (*.m3u8);;XSPF (*.xspf)",
                remember=(self.store, "playlists"),
            )
            if not path:
                return None
        try:
            n = export_playlist(self.store, playlist["id"], path, relative=relative)
        except (PlaylistFileError, SmartRuleError) as exc:
            self.messages.say(f"Cannot export: {exc}")
            return None
        self.messages.say(f"Wrote {count_text(n, 'entry', 'entries')} to “{path}”")
        return n

    def play_current(self, start: int = 0) -> None:
        playlist = self.current()
        ids = self.track_ids()
        if playlist is not None and ids:
            self.playRequested.emit(ids, max(0, start), playlist["name"])
