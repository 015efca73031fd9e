"""The queue view's model: a list model over ``player.queue.Queue`` entries, with drag-and-drop reorder.

The queue (core) is the source of truth and persists every change; this model only mirrors it. Changes
made on another thread (the player's event thread advances the queue) reach the GUI thread through the
``changed`` signal (queued), after which the model re-reads the entries: the queue is small, so a full
refresh is cheaper than bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from recommender.reasons import station_text
from ui.library_model import MIME_TRACK_IDS
from ui.library_rows import format_duration

_ROOT = QModelIndex()  # the invisible root: default parent of list/table models

ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole + 2
TRACK_ID_ROLE = Qt.ItemDataRole.UserRole + 1
MIME_ENTRY_IDS = "application/x-encore-queue-entries"

TrackInfo = Callable[[int], tuple[str, str, float | None] | None]  # id -> (title, artist, duration)


class QueueModel(QAbstractListModel):
    """Rows: played entries (greyed), the current one (bold) and the upcoming ones; radio entries are
    marked with the station's seed."""

    changed = Signal()

    def __init__(self, queue: Any, track_info: TrackInfo, parent: Any = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.track_info = track_info
        # The radio's reason for a track it picked (set by the window: ``RadioSession.why``), shown in
        # the tooltip of radio entries.
        self.reason_of: Callable[[int], str] | None = None
        # Where the track lives ("Album: …" and its file, set by the window from the library's rows), so
        # two entries of one title and artist from two albums or two takes can be told apart.
        self.place_of: Callable[[int], str | None] | None = None
        self._entries: list[Any] = []
        self._current: int | None = None
        self._closed = False
        self._bold = QFont()
        self._bold.setBold(True)
        self._grey = QBrush(QColor(140, 140, 140))
        self.changed.connect(self.refresh, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = queue.subscribe(lambda change: self.changed.emit())
        self.refresh()

    def close(self) -> None:
        """Stop mirroring the queue and show nothing: the window is going away and the store its rows
        are named from is about to close, while the view may still be painted once more."""
        self._unsubscribe()
        self._closed = True
        self.beginResetModel()
        self._entries = []
        self._current = None
        self.endResetModel()

    def refresh(self) -> None:
        if self._closed:  # a change queued before close() arrives after it
            return
        self.beginResetModel()
        self._entries = self.queue.entries
        self._current = self.queue.current_index
        self.endResetModel()

    def entry_at(self, row: int) -> Any:
        return self._entries[row]

    def current_row(self) -> int | None:
        return self._current

    def upcoming_track_ids(self) -> list[int]:
        """What plays next, as the queue decides it (after the playing entry was removed: the entries after
        its place, not the whole list)."""
        return [e.track_id for e in self.queue.upcoming()]

    # -- Qt model ------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._entries)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            info = self.track_info(entry.track_id)
            if info is None:
                return "A track no longer in the library"
            title, artist, duration = info
            text = f"{title} — {artist}" if artist else title
            length = format_duration(duration)
            return f"{text}   {length}" if length else text
        if role == Qt.ItemDataRole.ToolTipRole:
            place = self.place_of(entry.track_id) if self.place_of is not None else None
            if entry.source == "radio":
                origin = station_text(entry.seed)
                reason = self.reason_of(entry.track_id) if self.reason_of is not None else ""
                return "\n".join(line for line in (origin, reason, place) if line)
            return "\n".join(line for line in (f"From the {entry.source}", place) if line)
        if role == ENTRY_ID_ROLE:
            return entry.id
        if role == TRACK_ID_ROLE:
            return entry.track_id
        if role == Qt.ItemDataRole.FontRole and index.row() == self._current:
            return self._bold
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and self._current is not None
            and index.row() < self._current
        ):
            return self._grey
        if role == Qt.ItemDataRole.DecorationRole and index.row() == self._current:
            return None
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index) | Qt.ItemFlag.ItemIsDropEnabled
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_ENTRY_IDS, MIME_TRACK_IDS]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        ids = [self._entries[r].id for r in rows]
        mime = QMimeData()
        mime.setData(MIME_ENTRY_IDS, ",".join(map(str, ids)).encode())
        return mime

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._entries)
        if data.hasFormat(MIME_ENTRY_IDS):
            ids = [int(x) for x in bytes(data.data(MIME_ENTRY_IDS)).decode().split(",") if x]
            self.move_entries(ids, row)
            return True
        if data.hasFormat(MIME_TRACK_IDS):
            tracks = [int(x) for x in bytes(data.data(MIME_TRACK_IDS)).decode().split(",") if x]
            self.queue.insert(row, tracks, "library")
            return True
        return False

    def removeRows(self, row: int, count: int, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> bool:
        # A move is done in dropMimeData through the queue; the view's follow-up removal is a no-op.
        return False

    def move_entries(self, entry_ids: Sequence[int], row: int) -> None:
        """Move entries (in their current order) so that they land before visible row ``row``."""
        target = row
        for entry_id in entry_ids:
            old = self._row_of(entry_id)
            if old is None:
                continue
            index = target - 1 if old < target else target
            self.queue.move(entry_id, index)
            self._entries = self.queue.entries
            target = (self._row_of(entry_id) or 0) + 1
        self.refresh()

    def _row_of(self, entry_id: int) -> int | None:
        for k, entry in enumerate(self._entries):
            if entry.id == entry_id:
                return k
        return None
