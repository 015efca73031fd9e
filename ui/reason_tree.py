"""``ReasonTree``: a tree of names with a sentence beside each (For you's "In your library": title, artist,
why), whose names stay on one line and whose reasons wrap.

Why a widget of its own: the two kinds of text want opposite things. A reason is a sentence: it wraps in
its column, up to ``MAX_WHY_LINES`` lines a row, the last one ending with "…" where it is cut (the whole
of it is in the tooltip; left to the style, a walk found it cut at some widths with no sign). A name is cut with an
ellipsis on one line: with the view's word wrap on for the reasons, titles were cut mid-letter with no
ellipsis ("Northerner" for "Northerners", a walk of the app). And the name columns follow the view's
width (each fits its text up to its share of it, ``NAME_SHARES``) every time the view is resized, not
only when the lists load: loaded in a narrow window, they stayed 110 px wide once the window was
maximised. A column the listener drags keeps its width.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QTextLayout, QTextOption
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeWidget, QWidget

MAX_WHY_LINES = 3
#: The name columns' most, as shares of the view's width (the title, then the artist; the rest is for
#: the reasons), and the least they are given where the view is wide enough (a quarter of it at most).
NAME_SHARES = (0.3, 0.2)
MIN_NAME_WIDTH = 110
#: Where the view is narrow (the For you tab of an 800-px window: 258 px for three columns), a name is
#: given room for this many characters before the shares cut it (a walk read "Fra…" and "Stephe…"),
#: as long as the reasons keep ``MIN_WHY_SHARE`` of the width (they are cut with "…", whole in the tooltip).
READABLE_NAME_CHARS = 14
MIN_WHY_SHARE = 1 / 3


class _WrapDelegate(QStyledItemDelegate):
    """Row heights that fit wrapped text: QTreeView asks its delegates for size hints without the
    column's width, so word wrap alone never makes a row taller (the Why column was cut off)."""

    def __init__(self, view: QTreeWidget) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 (Qt name)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
        opt.rect = QRect(0, 0, max(self.view.columnWidth(index.column()), 1), 1 << 16)
        style = self.view.style()
        size = style.sizeFromContents(QStyle.ContentsType.CT_ItemViewItem, opt, QSize(), self.view)
        # At most MAX_WHY_LINES lines a row (the whole reason is in the tooltip): at 1000×700 a reason
        # wrapped to 9 lines and only 4 rows showed (issue 26 item 7).
        line = opt.fontMetrics.lineSpacing()
        return QSize(size.width(), min(size.height(), line * MAX_WHY_LINES + 6))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = self.shown_text(opt)
        style = self.view.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, self.view)

    def shown_text(self, option: QStyleOptionViewItem) -> str:
        """The reason as painted in ``option.rect``: its first ``MAX_WHY_LINES`` lines as the style wraps
        them, the last ending with "…" when the rest does not fit. The style's own cut adds an ellipsis
        only where it fits, and none at all with the view's elide mode off (the names need it off)."""
        text = option.text
        style = self.view.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.view) + 1
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, self.view)
        width = max(rect.width() - 2 * margin, 1)
        layout = QTextLayout(text, option.font)
        wrap = QTextOption()
        wrap.setWrapMode(QTextOption.WrapMode.WordWrap)
        layout.setTextOption(wrap)
        layout.beginLayout()
        starts = []
        while len(starts) <= MAX_WHY_LINES:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            starts.append(line.textStart())
        layout.endLayout()
        if len(starts) <= MAX_WHY_LINES:
            return text  # it fits
        last = starts[MAX_WHY_LINES - 1]
        lines = [text[a:b].rstrip() for a, b in zip(starts, starts[1:MAX_WHY_LINES], strict=False)]
        rest = option.fontMetrics.elidedText(text[last:].rstrip() + "…", Qt.TextElideMode.ElideRight, width)
        return "\u2028".join([*lines, rest])  # line separators: the style breaks exactly there


class _OneLineDelegate(QStyledItemDelegate):
    """A name on one line, cut with an ellipsis at its end."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.WrapText
        option.textElideMode = Qt.TextElideMode.ElideRight


class ReasonTree(QTreeWidget):
    """Name columns, then a reason column (see the module's docstring)."""

    def __init__(self, headers: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(headers))
        self.setHeaderLabels(headers)
        self.setWordWrap(True)  # for the last column, the reasons; the names are kept on one line
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        names = len(headers) - 1
        for column in range(names):
            self.setItemDelegateForColumn(column, _OneLineDelegate(self))
        self.setItemDelegateForColumn(names, _WrapDelegate(self))
        self.header().setStretchLastSection(True)
        self.user_sized = False  # a name column the listener dragged keeps its width
        self._fitting = False
        self.header().sectionResized.connect(self._section_resized)
        self.viewport().installEventFilter(self)

    def fit_columns(self) -> None:
        """Each name column as wide as its text, up to its share of the view's width."""
        if self.user_sized:
            return
        width = self.viewport().width()
        readable = self.fontMetrics().averageCharWidth() * READABLE_NAME_CHARS
        self._fitting = True
        try:
            widths = []
            for column in range(self.columnCount() - 1):
                share = NAME_SHARES[min(column, len(NAME_SHARES) - 1)]
                cap = max(int(width * share), min(MIN_NAME_WIDTH, width // 4))
                self.resizeColumnToContents(column)
                need = self.columnWidth(column)
                # The first column's names sit behind the tree's indentation (a group, then its rows).
                indent = self.indentation() * (2 if self.rootIsDecorated() else 1) if column == 0 else 0
                widths.append((min(need, cap), max(min(need, cap), min(need, readable + indent))))
            room = int(width * (1 - MIN_WHY_SHARE))  # the most the names take to be readable
            capped, wanted = sum(c for c, _w in widths), sum(w for _c, w in widths)
            part = 1.0 if wanted <= room else max(room - capped, 0) / max(wanted - capped, 1)
            for column, (cap, want) in enumerate(widths):
                self.setColumnWidth(column, cap + int((want - cap) * min(part, 1.0)))
        finally:
            self._fitting = False

    def _section_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._fitting and column < self.columnCount() - 1 and self.header().underMouse():
            self.user_sized = True
        self.doItemsLayout()  # the reasons wrap anew at their column's width

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if watched is self.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)
