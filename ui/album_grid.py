"""The album grid: one cover per album (embedded picture or folder image), beside the track table.

Albums come from the library rows the track table holds (same filter and artist scope), grouped by
(album artist, album) with their tracks in disc/track order. Covers load lazily through a
``CoverCache`` of the grid's size: ``data()`` asks for a cover only when Qt paints that item, so a
library of thousands of albums costs nothing until it scrolls into view. Clicking an album plays it
in order (``albumPlayRequested``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListView, QWidget

from player.naming import natural_key
from ui.covers import CoverCache
from ui.icons import icon
from ui.library_rows import DISCNO, ID, PATH, TRACKNO, UNKNOWN_ALBUM, row_album, row_album_artist, row_title

COVER_PX = 128
_ROOT = QModelIndex()


def group_albums(rows: list[tuple]) -> list[tuple[str, str, list[int], str]]:
    """(album artist, album, track ids in play order, path of the first track) per album, by name."""
    albums: dict[tuple[str, str], list[tuple]] = {}
    for r in rows:
        albums.setdefault((row_album_artist(r), row_album(r)), []).append(r)
    out = []
    for (artist, album), tracks in albums.items():
        tracks.sort(key=lambda r: (r[DISCNO] or 0, r[TRACKNO] or 0, natural_key(row_title(r))))
        out.append((artist, album, [r[ID] for r in tracks], tracks[0][PATH]))
    out.sort(key=lambda a: (a[1] == UNKNOWN_ALBUM, natural_key(a[1]), natural_key(a[0])))
    return out


class AlbumModel(QAbstractListModel):
    def __init__(self, covers: CoverCache, parent: Any = None) -> None:
        super().__init__(parent)
        self.covers = covers
        self.albums: list[tuple[str, str, list[int], str]] = []
        self._icons: dict[str, QIcon] = {}
        self._placeholder = icon("cover")

    def set_rows(self, rows: list[tuple]) -> None:
        self.beginResetModel()
        self.albums = group_albums(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.albums)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        artist, album, ids, path = self.albums[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{album}\n{artist}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{album} — {artist} · {len(ids)} track{'s' if len(ids) != 1 else ''}\nClick to play it in order"
        if role == Qt.ItemDataRole.DecorationRole:
            cached = self._icons.get(path)
            if cached is not None:
                return cached
            self._icons[path] = self._placeholder  # asked once; the cover replaces it when loaded
            self.covers.request(path, lambda image, p=path: self._cover_loaded(p, image))
            return self._icons[path]
        return None

    def _cover_loaded(self, path: str, image: QImage | None) -> None:
        if image is None or image.isNull():
            return
        self._icons[path] = QIcon(QPixmap.fromImage(image))
        for row, album in enumerate(self.albums):
            if album[3] == path:
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
                break


class AlbumGrid(QListView):
    albumPlayRequested = Signal(list)  # track ids in album order

    def __init__(self, covers: CoverCache, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.album_model = AlbumModel(covers, self)
        self.setModel(self.album_model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(COVER_PX, COVER_PX))
        self.setGridSize(QSize(COVER_PX + 28, COVER_PX + 2 * self.fontMetrics().height() + 16))
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSpacing(4)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.clicked.connect(self._play)

    def set_rows(self, rows: list[tuple]) -> None:
        self.album_model.set_rows(rows)

    def _play(self, index: QModelIndex) -> None:
        if index.isValid():
            self.albumPlayRequested.emit(list(self.album_model.albums[index.row()][2]))
