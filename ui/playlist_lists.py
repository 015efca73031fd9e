"""The Playlists tab's two lists: the playlists (drop library tracks on one to add them) and the chosen
playlist's tracks (drag to reorder, drop library tracks to insert them). Drops carry track ids in the
library table's MIME type (``ui.library_model.MIME_TRACK_IDS``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QListWidget

from ui.library_model import MIME_TRACK_IDS

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _drop_ids(event: Any) -> list[int]:
    mime = event.mimeData()
    if not mime.hasFormat(MIME_TRACK_IDS):
        return []
    raw = bytes(mime.data(MIME_TRACK_IDS).data()).decode()
    return [int(t) for t in raw.split(",") if t.strip().isdigit()]


class TrackList(QListWidget):
    """A playlist's tracks: internal drag reorders, a drop of library tracks adds them."""

    tracksDropped = Signal(list, int)  # track ids, row to insert at

    def __init__(self) -> None:
        super().__init__()
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        if _drop_ids(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802
        if _drop_ids(event):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        ids = _drop_ids(event)
        if ids:
            item = self.itemAt(event.position().toPoint())
            self.tracksDropped.emit(ids, self.row(item) if item is not None else self.count())
            event.acceptProposedAction()
            return
        super().dropEvent(event)


class PlaylistList(QListWidget):
    """The playlists; dropping library tracks on one adds them to it."""

    tracksDropped = Signal(int, list)  # playlist id, track ids

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802
        if _drop_ids(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802
        if _drop_ids(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        item = self.itemAt(event.position().toPoint())
        ids = _drop_ids(event)
        if item is not None and ids:
            self.tracksDropped.emit(int(item.data(ID_ROLE)), ids)
            event.acceptProposedAction()
