"""The queue panel: drag to reorder, Delete to remove, "Play next", double-click to jump.

The list mirrors ``player.queue.Queue`` through ``QueueModel``; every edit goes to the queue (which
persists it), never to the model directly.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QMenu, QVBoxLayout, QWidget

from ui.queue_model import ENTRY_ID_ROLE, QueueModel


class QueueView(QWidget):
    playEntryRequested = Signal(int)  # entry id
    radioRequested = Signal(int)  # track id: a station from this entry's track
    entriesRemoved = Signal(object)  # ``player.queue_entry.Removal``: the window offers its Undo
    undoRequested = Signal()  # Ctrl+Z in the queue: the window puts back the newest removal

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model: QueueModel | None = None
        self.header = QLabel("<b>Queue</b>")
        self.subheader = QLabel("Empty. Double-click a track, or start a radio (Ctrl+R).")
        self.subheader.setWordWrap(True)
        self.subheader.setStyleSheet("color: #666;")
        self.list = QListView()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setDragEnabled(True)
        self.list.setAcceptDrops(True)
        self.list.setDropIndicatorShown(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setUniformItemSizes(True)
        # Long titles elide in the middle (the length at the end stays) instead of scrolling sideways.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.doubleClicked.connect(lambda index: self.playEntryRequested.emit(index.data(ENTRY_ID_ROLE)))
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected)
        undo = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self.list)
        undo.setContext(Qt.ShortcutContext.WidgetShortcut)
        undo.activated.connect(self.undoRequested.emit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.subheader)
        layout.addWidget(self.list, 1)

    def set_model(self, model: QueueModel) -> None:
        self.model = model
        self.list.setModel(model)
        model.modelReset.connect(self._update_header)
        self._update_header()

    def set_station(self, text: str | None, replanned: bool = True) -> None:
        """What the queue plays from; ``replanned``: a radio (it re-plans), not a fixed path."""
        self._station = text
        self._replanned = replanned
        self._update_header()

    def _update_header(self) -> None:
        model = self.model
        station = getattr(self, "_station", None)
        if model is None or model.rowCount() == 0:
            self.subheader.setText("Empty. Double-click a track, or start a radio (Ctrl+R).")
            return
        upcoming = len(model.upcoming_track_ids())
        text = f"{upcoming} up next"
        if station and getattr(self, "_replanned", True):
            text = f"{station} · {text} (planned; re-planned after every skip or finished track)"
        elif station:
            text = f"{station} · {text}"
        self.subheader.setText(text)
        current = model.current_row()
        if current is not None:
            self.list.scrollTo(model.index(current, 0), QAbstractItemView.ScrollHint.PositionAtTop)

    def selected_entry_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.list.selectionModel().selectedIndexes())
        return [self.model.entry_at(r).id for r in rows] if self.model else []

    def remove_selected(self) -> None:
        ids = self.selected_entry_ids()
        if ids and self.model is not None:
            removal = self.model.queue.take(ids)
            if removal is not None:
                self.entriesRemoved.emit(removal)

    def play_next_selected(self) -> None:
        """Move the selected entries right after the current one."""
        if self.model is None:
            return
        ids = self.selected_entry_ids()
        current = self.model.current_row()
        self.model.move_entries(ids, (current + 1) if current is not None else 0)

    def _context_menu(self, pos: object) -> None:
        index = self.list.indexAt(pos)
        if index.isValid():
            self.context_menu(index).exec(self.list.viewport().mapToGlobal(pos))

    def context_menu(self, index: QModelIndex) -> QMenu:
        """What a right-click on the entry at ``index`` offers."""
        menu = QMenu(self)
        menu.addAction("Play now", lambda: self.playEntryRequested.emit(index.data(ENTRY_ID_ROLE)))
        menu.addAction("Play next", self.play_next_selected)
        menu.addAction("Remove from queue", self.remove_selected)
        entry = self.model.entry_at(index.row()) if self.model is not None else None
        if entry is not None:  # as from the library (a walk of the app missed it here)
            menu.addSeparator()
            menu.addAction(
                "Start radio from this song", lambda: self.radioRequested.emit(int(entry.track_id))
            )
        return menu
