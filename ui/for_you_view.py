"""The "For you" tab: what to hear next, each item with the reason that ranked it.

Three parts, all computed in a worker by ``recommender.for_you.lists`` (the same lists as ``encore for-you``):
*In your library* (under-played tracks and albums; double-click plays), the *Discover mix* (30 stored
tracks; Play, or New mix to make another) and *Artists to discover* (double-click or "Open page" opens
the artist's page in the browser; "Copy name" puts the name on the clipboard). With no taste signal
the view says so in plain words instead of listing global hits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from player.text import count_text
from ui.flow_layout import flow_of
from ui.links import copy_name, open_link
from ui.reason_tree import ReasonTree
from ui.workers import TaskRunner

log = logging.getLogger(__name__)

_IDS_ROLE = Qt.ItemDataRole.UserRole + 30
_LINK_ROLE = Qt.ItemDataRole.UserRole + 31
_NAME_ROLE = Qt.ItemDataRole.UserRole + 32
_REASON_ROLE = Qt.ItemDataRole.UserRole + 33
N_ITEMS = 25


def load_for_you(db_path: str, refresh_mix: bool = False) -> dict[str, Any]:
    """Plain data for the view (worker thread): the For-you lists and the Discover mix with titles."""
    from player.store import Store
    from player.store.tracks import get_track
    from recommender.for_you.lists import for_you
    from recommender.for_you.mix import discover_mix

    with Store.open(db_path) as store:
        result = for_you(store, n=N_ITEMS)
        mix = discover_mix(store, result, refresh=refresh_mix)
        for entry in mix:
            t = get_track(store, entry["track_id"]) or {}
            entry["title"] = t.get("title") or (t.get("path") or "?").rsplit("/", 1)[-1]
            entry["artist"] = t.get("artist") or t.get("album_artist")
    out = result.as_dict(N_ITEMS)
    out["mix"] = mix
    return out


#: What the now-playing bar says a list from For you is ("From your library" told nothing).
FOR_YOU_NAME = "For you"
MIX_NAME = "For you · Discover mix"


class ForYouView(QWidget):
    playRequested = Signal(list, str)  # track ids to play, in order; what the bar calls them
    loaded = Signal(object)
    notInterested = Signal(str)  # a discovery the listener never wants suggested (the window bans it)

    def __init__(self, runner: TaskRunner, db_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.db_path = db_path
        self.result: dict[str, Any] | None = None
        self._busy = False
        self._stale = False  # the taste changed while the lists were being computed
        # track id -> (title, artist, duration) as the library table shows it (tidy titles of untagged
        # files: "Track 25", not "track25"), or None; set by the window.
        self.track_info: Callable[[int], tuple[str, str, float | None] | None] | None = None
        # track id -> its album and file, for the tooltip of a track entry (set by the window), or None.
        self.place_of: Callable[[int], str | None] | None = None
        #: The window's store, where the export dialog remembers the folder last written to.
        self.store: Any = None

        self.summary = QLabel("Open this tab to see what to hear next.")
        self.summary.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(lambda: self.refresh())
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)

        # Names on one line, reasons wrapped, the name columns following the width (``ui.reason_tree``).
        self.library = ReasonTree(["In your library", "Artist", "Why"])
        self.library.setRootIsDecorated(True)
        self.library.itemDoubleClicked.connect(self._library_activated)
        self.library.setToolTip("Double-click: play")

        self.mix = QListWidget()
        # Elided to the list's width like the other lists (a long title scrolled it sideways); the
        # tooltip names the track whole, with why it is in the mix.
        self.mix.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.mix.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.mix.itemDoubleClicked.connect(self._mix_activated)
        self.play_mix_button = QPushButton("Play the mix")
        self.play_mix_button.clicked.connect(self.play_mix)
        self.new_mix_button = QPushButton("New mix")
        self.new_mix_button.clicked.connect(lambda: self.refresh(refresh_mix=True))
        mix_box = QWidget()
        mix_layout = QVBoxLayout(mix_box)
        mix_layout.setContentsMargins(0, 0, 0, 0)
        # Headings whose buttons wrap below them in a narrow window, so the column beside the list can give
        # the list its width (an 800-px window left the list 258 px: "Fran…", "Stephen R…").
        mix_layout.addWidget(
            flow_of([QLabel("<b>Discover mix</b>"), self.play_mix_button, self.new_mix_button])
        )
        mix_layout.addWidget(self.mix)

        self.artists = QListWidget()
        self.artists.setWordWrap(True)  # the reasons wrap at the list's width, no sideways scrolling
        self.artists.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.artists.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.artists.itemDoubleClicked.connect(self._artist_activated)
        self.artists.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.artists.customContextMenuRequested.connect(self._artist_menu)
        self.artists.setToolTip(
            "Double-click: open the artist's page · right-click: copy the name, not interested"
        )
        artists_box = QWidget()
        artists_layout = QVBoxLayout(artists_box)
        artists_layout.setContentsMargins(0, 0, 0, 0)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip(
            "Save these artists as a wishlist (CSV with MusicBrainz links, or a link list)"
        )
        self.export_button.clicked.connect(self._export_clicked)
        artists_layout.addWidget(flow_of([QLabel("<b>Artists to discover</b>"), self.export_button]))
        artists_layout.addWidget(self.artists)

        from ui.daily_mixes_view import DailyMixesBox

        self.daily = DailyMixesBox(runner, db_path)  # daily mixes and the time-of-day mix
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.daily)
        right.addWidget(mix_box)
        right.addWidget(artists_box)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.library)
        split.addWidget(right)
        split.setSizes([700, 300])
        split.setStretchFactor(0, 7)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    # -- loading -----------------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        """First visit of the tab: compute the lists (and the daily mixes)."""
        if self.result is None and not self._busy:
            self.refresh()
        self.daily.ensure_loaded()

    def refresh(self, refresh_mix: bool = False) -> None:
        if self._busy:
            return
        self._busy = True
        self.refresh_button.setEnabled(False)
        self.new_mix_button.setEnabled(False)
        if self.result is None:
            self.summary.setText("Working out what you might like…")
        self.runner.start(load_for_you, self.db_path, refresh_mix, on_result=self._show, on_error=self._error)

    def invalidate(self) -> None:
        """The taste changed (listening history imported or forgotten): lists already shown are worked
        out again now; lists never opened wait for the first visit of the tab, as always."""
        if self._busy:
            self._stale = True  # what is being computed predates the change: compute again after it
        elif self.result is not None:
            self.refresh()

    def _finish(self) -> None:
        self._busy = False
        self.refresh_button.setEnabled(True)
        self.new_mix_button.setEnabled(True)
        if self._stale:
            self._stale = False
            self.refresh()

    def _error(self, message: str) -> None:
        log.error("for you failed: %s", message)
        self._finish()
        self.summary.setText(f"Suggestions are not available right now ({message}).")

    def _show(self, result: dict[str, Any]) -> None:
        self._finish()
        self.result = result
        self.summary.setText(result.get("summary") or "")
        self.library.clear()
        tracks = QTreeWidgetItem(self.library, [f"Tracks ({len(result['tracks'])})", "", ""])
        for t in result["tracks"]:
            name, artist = t["name"], t.get("artist") or ""
            shown = self._names(t["track_ids"][0]) if len(t["track_ids"]) == 1 else None
            if shown is not None:
                name, artist = shown
            item = QTreeWidgetItem(tracks, [name, artist, t["reason"]])
            item.setData(0, _IDS_ROLE, list(t["track_ids"]))
            place = self._place(t["track_ids"][0]) if len(t["track_ids"]) == 1 else None
            item.setToolTip(0, f"{name}\n{place}" if place else name)
            item.setToolTip(2, t["reason"])
        albums = QTreeWidgetItem(self.library, [f"Albums ({len(result['albums'])})", "", ""])
        for a in result["albums"]:
            item = QTreeWidgetItem(albums, [a["name"], a.get("artist") or "", a["reason"]])
            item.setData(0, _IDS_ROLE, list(a["track_ids"]))
            item.setToolTip(2, a["reason"])
        self.library.expandAll()
        self.library.fit_columns()
        self.mix.clear()
        for e in result.get("mix", []):
            title, artist = self._names(int(e["track_id"])) or (e.get("title") or "?", e.get("artist"))
            text = f"{title} — {artist or 'Unknown artist'}"
            item = QListWidgetItem(text)
            item.setData(_IDS_ROLE, [int(e["track_id"])])
            item.setToolTip("\n".join(line for line in (text, e.get("reason")) if line))
            self.mix.addItem(item)
        self.play_mix_button.setEnabled(bool(result.get("mix")))
        self.artists.clear()
        for a in result["artists"]:
            item = QListWidgetItem(f"★ {a['name']}\n    {a['reason']}")
            item.setData(_LINK_ROLE, a.get("link"))
            item.setData(_NAME_ROLE, a["name"])
            item.setData(_REASON_ROLE, a["reason"])
            item.setToolTip(f"{a['reason']}\n{a.get('link') or ''}")
            self.artists.addItem(item)
        if result.get("signal") == "none":
            self.artists.addItem(QListWidgetItem("Nothing to suggest yet — see above."))
        self.loaded.emit(result)

    def _names(self, track_id: int) -> tuple[str, str] | None:
        """(title, artist) as the library shows the track, or None where the window gives none."""
        info = self.track_info(int(track_id)) if self.track_info is not None else None
        return (info[0], info[1]) if info is not None else None

    def _place(self, track_id: int) -> str | None:
        return self.place_of(int(track_id)) if self.place_of is not None else None

    # -- actions -----------------------------------------------------------------------------------
    def play_mix(self) -> None:
        ids = [int(e["track_id"]) for e in (self.result or {}).get("mix", [])]
        if ids:
            self.playRequested.emit(ids, MIX_NAME)

    def _library_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        ids = item.data(0, _IDS_ROLE)
        if ids:
            self.playRequested.emit([int(t) for t in ids], FOR_YOU_NAME)

    def _mix_activated(self, item: QListWidgetItem) -> None:
        """Double-click in the mix: play the mix from that track on."""
        ids = [int(e["track_id"]) for e in (self.result or {}).get("mix", [])]
        row = self.mix.row(item)
        if ids and 0 <= row < len(ids):
            self.playRequested.emit(ids[row:] + ids[:row], MIX_NAME)

    def _artist_activated(self, item: QListWidgetItem) -> None:
        open_link(item.data(_LINK_ROLE))

    def _artist_menu(self, pos: Any) -> None:
        item = self.artists.itemAt(pos)
        menu = self.artist_menu(item) if item is not None else None
        if menu is not None:
            menu.exec(self.artists.viewport().mapToGlobal(pos))

    def artist_menu(self, item: QListWidgetItem) -> QMenu | None:
        """The context menu of a discovery: open its page, copy its name."""
        if not item.data(_NAME_ROLE):
            return None
        # What the actions need is read now: the list may be rebuilt while the menu is open (a refresh),
        # and an action holding the item would then touch a deleted one.
        name, link = str(item.data(_NAME_ROLE)), item.data(_LINK_ROLE)
        menu = QMenu(self)
        menu.addAction("Open the artist's page", lambda: open_link(link))
        menu.addAction("Copy name", lambda: copy_name(name))
        menu.addSeparator()
        menu.addAction("Not interested (never suggest it again)", lambda: self.not_interested(name))
        return menu

    def not_interested(self, name: str) -> None:
        """The listener does not want this artist: it leaves the list now and never comes back."""
        for row in range(self.artists.count()):
            if self.artists.item(row).data(_NAME_ROLE) == name:
                self.artists.takeItem(row)
                break
        self.notInterested.emit(str(name))

    def export_wishlist(self, path: str) -> str:
        """Write the artists to discover shown now to ``path`` (CSV, or .txt/.html links); a message."""
        from recommender.for_you.wishlist import write_wishlist

        artists = [
            {
                "artist": str(self.artists.item(i).data(_NAME_ROLE)),
                "why": str(self.artists.item(i).data(_REASON_ROLE) or ""),
            }
            for i in range(self.artists.count())
            if self.artists.item(i).data(_NAME_ROLE)
        ]
        try:
            kind = write_wishlist(path, artists)
        except (OSError, ValueError) as exc:
            return f"The wishlist could not be written: {exc}"
        return f"Wrote {count_text(len(artists), 'artist')} to discover to “{path}” ({kind})."

    def _export_clicked(self) -> None:
        from ui.file_dialogs import save_file_name

        path = save_file_name(
            self,
            "Export artists to discover",
            os.path.join(os.path.expanduser("~"), "artists-to-discover.csv"),
            "CSV (*.csv);;Links (*.txt *.html)",
            remember=(self.store, "wishlist") if self.store is not None else None,
        )
        if path:
            self.summary.setText(self.export_wishlist(path))
