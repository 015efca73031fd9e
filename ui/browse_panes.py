"""The library's artist and album panes: what they list, which entry is chosen, and what a pointer
resting on an entry is told.

Both panes elide to their width (no sideways scrolling), so each entry's tooltip says it whole: an
artist with its track count and, where the listener loved or banned the artist, that rating, which the
entry also carries after its count as the ♥ or ⊘ mark the track table uses; an album with its album
artist.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QListWidget, QSplitter, QToolTip, QWidget

from player.store.functions import fold_artist
from player.text import count_text
from ui.library_model import RATING_MARKS

ALL_ARTISTS = "All artists"
ALL_ALBUMS = "All albums"


class BrowsePanes(QSplitter):
    """Artists over albums. The values behind the rows live in Python lists, not in item data:
    round-tripping Python objects and None through QVariant for thousands of items trips a PySide6
    refcount bug."""

    artistChanged = Signal()
    albumChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.artist_values: list[str | None] = [None]
        self.album_values: list[tuple[str, str] | None] = [None]
        self._artist_counts: list[int] = [0]
        self._artist_ratings: dict[str, int] = {}  # folded artist name -> 1 loved / -1 banned
        self.artists = QListWidget()
        self.artists.setUniformItemSizes(True)
        self.artists.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.artists.currentItemChanged.connect(lambda *_args: self.artistChanged.emit())
        self.albums = QListWidget()
        self.albums.setUniformItemSizes(True)
        # Elide the end: the album's name and count stay readable; the tooltip has it all.
        self.albums.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.albums.currentItemChanged.connect(lambda *_args: self.albumChanged.emit())
        for pane in (self.artists, self.albums):  # elide to the pane's width instead of scrolling sideways
            pane.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            pane.viewport().installEventFilter(self)  # each entry's tooltip, made when shown
            self.addWidget(pane)

    # -- filling -------------------------------------------------------------------------------------
    def fill_artists(self, counts: list[tuple[str, int]], keep: str | None) -> None:
        """List ``counts`` (``library_rows.artist_counts``), choosing ``keep`` again where listed."""
        self.artists.blockSignals(True)
        self.artists.clear()
        self.artist_values = [None, *(name for name, _n in counts)]
        self._artist_counts = [len(counts), *(n for _name, n in counts)]
        # Every count in both panes is of tracks, except the "All" rows, which count the entries below.
        self.artists.addItems([self._artist_label(row) for row in range(len(self.artist_values))])
        selected = self.artist_values.index(keep) if keep in self.artist_values else 0
        self.artists.setCurrentRow(selected)
        self.artists.blockSignals(False)

    def fill_albums(self, albums: list[tuple[str, str, int]], keep: tuple[str, str] | None) -> None:
        """List ``albums`` (``library_rows.album_counts``), choosing ``keep`` again where listed."""
        self.albums.blockSignals(True)
        self.albums.clear()
        names: dict[str, int] = {}
        for _aa, album, _n in albums:
            names[album] = names.get(album, 0) + 1
        self.album_values = [None, *((aa, al) for aa, al, _n in albums)]
        # The album and its count first, the album artist that tells apart two albums of one name last,
        # where the elision cuts ("hyperrogue —…umDeluge" hid both, issue 26 item 10). One call for all
        # (an item and a tooltip set apiece cost a second per 100k albums).
        self.albums.addItems(
            [
                f"{ALL_ALBUMS} ({len(albums)})",
                *(f"{al} ({n}) — {aa}" if names[al] > 1 else f"{al} ({n})" for aa, al, n in albums),
            ]
        )
        keep = tuple(keep) if keep is not None else None
        selected = self.album_values.index(keep) if keep in self.album_values else 0
        self.albums.setCurrentRow(selected)
        self.albums.blockSignals(False)

    def set_artist_ratings(self, rated: dict[str, int]) -> None:
        """Loves and bans of artists changed (``player.store.ratings.rated_artists``: folded name ->
        1 or -1): re-mark the entries in place, keeping the choice and the scroll position."""
        if rated == self._artist_ratings:
            return
        self._artist_ratings = dict(rated)
        for row in range(1, self.artists.count()):
            label = self._artist_label(row)
            if self.artists.item(row).text() != label:
                self.artists.item(row).setText(label)

    def _artist_label(self, row: int) -> str:
        name = self.artist_values[row]
        if name is None:
            return f"{ALL_ARTISTS} ({self._artist_counts[0]})"
        mark = self._mark(name)
        # The mark last: typing a name's first letters still finds it (the list searches from the start).
        return f"{name} ({self._artist_counts[row]})" + (f" {mark[0]}" if mark else "")

    def _mark(self, name: str) -> tuple[str, str] | None:
        """(mark, word) of a loved or banned artist (``library_model.RATING_MARKS``), else None."""
        return RATING_MARKS.get(self._artist_ratings.get(fold_artist(name), 0))

    # -- the choice ----------------------------------------------------------------------------------
    def current_artist(self) -> str | None:
        row = self.artists.currentRow()
        return self.artist_values[row] if 0 <= row < len(self.artist_values) else None

    def current_album(self) -> tuple[str, str] | None:
        row = self.albums.currentRow()
        return self.album_values[row] if 0 <= row < len(self.album_values) else None

    def choose_artist(self, artist: str) -> bool:
        """Choose ``artist`` and scroll to it; False where the pane does not list it."""
        if artist not in self.artist_values:
            return False
        row = self.artist_values.index(artist)
        self.artists.setCurrentRow(row)
        self.artists.scrollToItem(self.artists.item(row))
        return True

    # -- tooltips ------------------------------------------------------------------------------------
    def tooltip_at(self, pane: QListWidget, row: int) -> str | None:
        """What the pointer resting on ``row`` of ``pane`` is told; None for the "All" rows."""
        if pane is self.albums:
            album = self.album_values[row] if 0 < row < len(self.album_values) else None
            return None if album is None else f"{album[1]} — {album[0]}"
        name = self.artist_values[row] if 0 < row < len(self.artist_values) else None
        if name is None:
            return None
        text = f"{name} — {count_text(self._artist_counts[row])}"
        mark = self._mark(name)
        return f"{text} · {mark[1]} (the artist)" if mark else text

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            for pane in (self.artists, self.albums):
                if obj is pane.viewport():
                    text = self.tooltip_at(pane, pane.indexAt(event.pos()).row())
                    if text is None:
                        QToolTip.hideText()
                    else:
                        QToolTip.showText(event.globalPos(), text, pane.viewport())
                    return True
        return super().eventFilter(obj, event)
