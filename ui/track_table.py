"""The library's track table: fixed row heights, and column widths that fit the window without reading rows.

Why a module of its own: the library browser (``ui.library_view``) wires the artist and album lists, the
filter box and the actions; how the table shares its width among its columns (every column showing at
1000 pixels, optional ones giving way to the title, the user's own drag winning) is a job apart.

API: ``TrackTable(model)`` with ``fit_columns()`` and ``user_sized``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ui.library_model import TrackTableModel

FLEX_COLUMNS = (0.36, 0.22, 0.27, 0.15)  # title, artist, album, genre: their shares of the free width
MIN_FLEX_WIDTH = 48
# Skips, #, Year, Genre: given up in this order while the window is too narrow for the title to show about
# 25 characters (at 1000×700 every column shown left "Traveling Mins…", issue 26 item 7); back when wider.
OPTIONAL_COLUMNS = (8, 5, 4, 3)
MIN_TITLE_WIDTH = 170
#: Rows read to measure what the columns' texts need (evenly spread), and the room a cell adds to its text.
MEASURE_ROWS = 2000
CELL_PADDING = 14
MAX_WANTED = 360


class TrackTable(QTableView):
    """The track table; fixed row heights and no per-row sizing keep it fast at 100k rows."""

    def __init__(self, model: TrackTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Tab leaves the table (the arrows move within it): a walk pressed Tab 34 times to reach row 4,
        # with the queue and the player's buttons some 700 presses away.
        self.setTabKeyNavigation(False)
        # No sort column at first (library order: album artist, album, disc, track); enabling sorting
        # sorts by the indicator's section at once, so clear it first.
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.horizontalHeader().setSortIndicatorShown(True)
        self.setSortingEnabled(True)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vh = self.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(False)
        hh.setMinimumSectionSize(30)
        # Fixed starting widths (sizing to contents would read every row). Year, #, Length, Plays and Skips
        # keep theirs; title, artist, album and genre share what is left by what their texts need (measured
        # on a sample of the shown rows: "Unknown artist (drascula)" beside "Track 19" gets its width), in
        # fixed proportions before any rows, so every column shows at any window width (at 1000 pixels too),
        # until the user drags one. Plays is wider
        # than its figures for the listens from elsewhere shown beside them ("12 (+412)").
        self._fitting = True
        self._widths = (200, 130, 150, 80, 46, 34, 56, 72, 46)
        for column, width in enumerate(self._widths):
            self.setColumnWidth(column, width)
        self._fitting = False
        self.user_sized = False
        self.wanted: list[int] | None = None  # what the shown rows' texts need per flex column
        hh.sectionResized.connect(self._section_resized)
        model.modelReset.connect(self._rows_changed)  # new rows, or the filter or scope changed

    def _rows_changed(self) -> None:
        self.wanted = self.measure()
        self.fit_columns()

    def measure(self) -> list[int]:
        """The width each flex column's texts need: the widest of the shown rows' distinct texts as the
        cells show them (a rated title with its ♥ or ⊘, in bold as the playing row is drawn), up to
        ``MAX_WANTED`` (one very long title does not take the width from every artist), read from at most
        ``MEASURE_ROWS`` rows spread over the table, so it costs the same at 100k rows."""
        from PySide6.QtGui import QFontMetrics

        model = self.model()
        n = model.rowCount()
        step = max(1, n // MEASURE_ROWS)
        font = self.font()
        font.setBold(True)
        metrics = QFontMetrics(font)
        wanted = []
        for column in range(len(FLEX_COLUMNS)):
            shown = {model.index(r, column).data() for r in range(0, n, step)}
            widths = sorted(metrics.horizontalAdvance(text) for text in shown if text)
            need = min(MAX_WANTED, widths[-1] + CELL_PADDING) if widths else 0
            wanted.append(max(MIN_FLEX_WIDTH, need))
        return wanted

    def _section_resized(self, *_args: object) -> None:
        if not self._fitting:
            self.user_sized = True  # a column the user dragged: their layout wins from now on

    def fit_columns(self) -> None:
        if self.user_sized:
            return
        hh = self.horizontalHeader()
        hidden: set[int] = set()

        wanted = self.wanted

        def layout() -> tuple[int, list[int]]:
            fixed = sum(self._widths[c] for c in range(len(FLEX_COLUMNS), hh.count()) if c not in hidden)
            free = self.viewport().width() - fixed
            shares = [0.0 if c in hidden else s for c, s in enumerate(FLEX_COLUMNS)]
            scale = 1.0 / sum(shares)
            if wanted is None:
                widths = [max(MIN_FLEX_WIDTH, int(free * s * scale)) if s else 0 for s in shares]
            elif sum(w for w, s in zip(wanted, shares, strict=True) if s) <= free:
                # Every text fits: each column gets what it needs, the rest is shared in fixed proportions.
                spare = free - sum(w for w, s in zip(wanted, shares, strict=True) if s)
                widths = [w + int(spare * s * scale) if s else 0 for w, s in zip(wanted, shares, strict=True)]
            else:
                # Too narrow for every text: the title keeps its fixed share (less if its texts need less),
                # the other columns share the rest, half by what each needs, half in the fixed proportions.
                title = min(wanted[0], int(free * shares[0] * scale))
                rest = [(w, s) for w, s in zip(wanted[1:], shares[1:], strict=True)]
                need = sum(w for w, s in rest if s) or 1
                share = sum(s for _w, s in rest) or 1.0
                widths = [title] + [
                    max(MIN_FLEX_WIDTH, int((free - title) * (w / need + s / share) / 2)) if s else 0
                    for w, s in rest
                ]
            widths[0] = max(MIN_FLEX_WIDTH, widths[0] - max(0, sum(widths) - free))  # minimums off the title
            return free, widths

        # Optional columns give way while the title is too narrow for its texts (never for short titles).
        title_floor = MIN_TITLE_WIDTH if wanted is None else min(MIN_TITLE_WIDTH, wanted[0])
        free, widths = layout()
        for column in OPTIONAL_COLUMNS:
            if widths[0] >= title_floor:
                break
            hidden.add(column)
            free, widths = layout()
        self._fitting = True
        for column in range(hh.count()):
            hh.setSectionHidden(column, column in hidden)
        for column, width in enumerate(widths):
            if width:
                hh.resizeSection(column, width)
        self._fitting = False

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Resize:  # the window, a splitter or a scroll bar changed it
            self.fit_columns()
        return super().viewportEvent(event)
