"""The track table's model: every library row held as a plain tuple, filtered and sorted in Python.

Why not a SQL query per page or ``QSortFilterProxyModel``: at 100k tracks a proxy calls Python once per
row on every keystroke (slow), and per-row queries while painting stutter. One bulk load of tuples
(``ui.library_rows.load_rows``, in a worker) costs ≈ 1 s per 100k rows; filtering is one substring test per
row on a precomputed "haystack" keyed by ``player.text.search_key`` (the one search key: no case, no
accents, no punctuation, so "bjork" finds Björk and "journeys end" Journey's End), sorting one ``list.sort`` with a key: both a few tens of
milliseconds at 100k. ``data()`` only indexes into lists.

Loved and banned tracks (themselves or through their artist) carry a mark before their title, the ♥ and
⊘ of the love and ban buttons, with "Loved" or "Banned" in the tooltip: a banned track stays in the
library (it can still be played by hand) and the mark says why the radio and the lists never offer it.

Plays are Encore's own completed plays; listens imported from elsewhere (``encore import-history``) are
shown beside them, never added in: "3 (+37)", with "37 plays elsewhere" in the cell's tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from player.naming import natural_key
from player.text import search_words
from ui.library_rows import (
    ALBUM,
    ARTIST,
    DISCNO,
    DURATION,
    ELSEWHERE,
    GENRE,
    ID,
    PATH,
    PLAYS,
    RATING,
    SKIPS,
    TRACKNO,
    YEAR,
    format_duration,
    plays_text,
    plays_tooltip,
    row_album,
    row_album_artist,
    row_artist,
    row_title,
    search_haystack,
)

_ROOT = QModelIndex()  # the invisible root: default parent of list/table models

#: The mark before a rated track's title and the word its tooltip starts with, by effective rating.
RATING_MARKS = {1: ("♥", "Loved"), -1: ("⊘", "Banned")}

TRACK_ID_ROLE = Qt.ItemDataRole.UserRole + 1
MIME_TRACK_IDS = "application/x-encore-track-ids"

# (header, value shown, sort key)
#: Title, Artist, Album and Genre: the columns whose text may be elided (their tooltip says it whole).
TEXT_COLUMNS = 4
COLUMNS: list[tuple[str, Any, Any]] = [
    ("Title", row_title, lambda r: natural_key(row_title(r))),
    ("Artist", lambda r: r[ARTIST] or "", lambda r: (row_artist(r).casefold(), (r[ALBUM] or "").casefold())),
    (
        "Album",
        lambda r: r[ALBUM] or "",
        lambda r: (natural_key(r[ALBUM]), r[DISCNO] or 0, r[TRACKNO] or 0, natural_key(row_title(r))),
    ),
    ("Genre", lambda r: r[GENRE] or "", lambda r: (r[GENRE] or "").casefold()),
    ("Year", lambda r: str(r[YEAR]) if r[YEAR] else "", lambda r: r[YEAR] or 0),
    ("#", lambda r: str(r[TRACKNO]) if r[TRACKNO] else "", lambda r: (r[DISCNO] or 0, r[TRACKNO] or 0)),
    ("Length", lambda r: format_duration(r[DURATION]), lambda r: r[DURATION] or 0.0),
    ("Plays", plays_text, lambda r: (r[PLAYS] or 0, r[ELSEWHERE] or 0)),
    ("Skips", lambda r: str(r[SKIPS]) if r[SKIPS] else "", lambda r: r[SKIPS] or 0),
]
COLUMN_NAMES = [c[0] for c in COLUMNS]
PLAYS_COLUMN = COLUMN_NAMES.index("Plays")


class TrackTableModel(QAbstractTableModel):
    """All library tracks; ``set_filter`` / ``set_scope`` narrow the visible rows, ``sort`` orders them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple] = []
        self._haystack: list[str] = []
        self._view: list[int] = []  # indices into _rows, in display order
        self._filter_words: list[str] = []
        self._scope_artist: str | None = None
        self._scope_album: tuple[str, str] | None = None
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._playing_id: int | None = None
        self._bold = QFont()
        self._bold.setBold(True)
        self._by_id: dict[int, int] = {}
        self._only: list[int] | None = None  # row indices to show, in this order (a search by sound)

    # -- content -------------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[tuple], haystack: list[str] | None = None) -> None:
        """Show ``rows``; ``haystack``: their ``search_haystack``, when the loading worker made it (a
        second at a million rows, better spent off the GUI thread)."""
        self.beginResetModel()
        # A search by sound holds row positions: carried over by track id (the new rows' positions differ).
        only = None if self._only is None else [self._rows[i][ID] for i in self._only]
        self._rows = list(rows)
        self._by_id = {r[ID]: i for i, r in enumerate(self._rows)}
        if only is not None:
            self._only = [self._by_id[t] for t in only if t in self._by_id]
        self._haystack = haystack if haystack is not None else search_haystack(self._rows)
        self._recompute()
        self.endResetModel()

    def all_rows(self) -> list[tuple]:
        return self._rows

    def track(self, track_id: int) -> tuple | None:
        i = self._by_id.get(track_id)
        return None if i is None else self._rows[i]

    def place_of(self, track_id: int) -> str | None:
        """The album ("Album: …") and the file on two lines, for a tooltip elsewhere (the queue); None if unknown."""
        row = self.track(track_id)
        return None if row is None else f"Album: {row_album(row)}\nFile: {row[PATH]}"

    def track_at(self, row: int) -> tuple:
        return self._rows[self._view[row]]

    def track_id_at(self, row: int) -> int:
        return self._rows[self._view[row]][ID]

    def row_of(self, track_id: int) -> int | None:
        """The visible row showing ``track_id``, or None when it is filtered out."""
        i = self._by_id.get(track_id)
        if i is None:
            return None
        try:
            return self._view.index(i)
        except ValueError:
            return None

    def visible_ids(self) -> list[int]:
        return [self._rows[i][ID] for i in self._view]

    def add_play(self, track_id: int, outcome: str = "completed") -> None:
        """A play of ``track_id`` finished: bump its plays (a completion) or skips in place (no reload);
        stopped and failed plays count as neither."""
        i = self._by_id.get(track_id)
        field = {"completed": PLAYS, "skipped": SKIPS}.get(outcome)
        if i is None or field is None:
            return
        row = self._rows[i]
        self._rows[i] = (*row[:field], (row[field] or 0) + 1, *row[field + 1 :])
        visible = self.row_of(track_id)
        if visible is not None:
            column = COLUMN_NAMES.index("Plays" if field == PLAYS else "Skips")
            self.dataChanged.emit(self.index(visible, column), self.index(visible, column))

    def set_ratings(self, ratings: dict[int, int]) -> None:
        """Loves or bans changed (``player.store.ratings.ratings_of``: track id -> 1 or -1, unrated left
        out): re-mark the rows in place, so the view keeps its selection and scroll position."""
        changed = False
        for i, r in enumerate(self._rows):
            rating = ratings.get(r[ID], 0)
            if r[RATING] != rating:
                self._rows[i] = (*r[:RATING], rating, *r[RATING + 1 :])
                changed = True
        if changed and self._view:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._view) - 1, len(COLUMNS) - 1))

    def set_playing(self, track_id: int | None) -> None:
        old, self._playing_id = self._playing_id, track_id
        for tid in (old, track_id):
            row = self.row_of(tid) if tid is not None else None
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # -- narrowing -----------------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        words = search_words(text)
        if words == self._filter_words:
            return
        self._filter_words = words
        self._refresh()

    def set_scope(self, artist: str | None = None, album: tuple[str, str] | None = None) -> None:
        """Only tracks by ``artist`` (artist or album artist), or of ``album`` = (album artist, album)."""
        self._scope_artist, self._scope_album = artist, album
        self._refresh()

    def matching_rows(self) -> list[tuple]:
        """The rows the filter words (or a search by sound) match, whatever the artist/album scope: what
        the panes list."""
        if self._only is not None:
            return [self._rows[i] for i in self._only]
        if not self._filter_words:
            return self._rows
        rows, hay = self._rows, self._haystack
        return [rows[i] for i in range(len(rows)) if all(w in hay[i] for w in self._filter_words)]

    def unfiltered(self) -> bool:
        """Whether ``matching_rows`` is every row (no filter words, no search by sound)."""
        return self._only is None and not self._filter_words

    def set_only(self, track_ids: Sequence[int] | None) -> None:
        """Show only these tracks, in this order (a search by sound), or everything again (None); the
        word filter is cleared while it holds."""
        only = None if track_ids is None else [self._by_id[t] for t in track_ids if t in self._by_id]
        if only == self._only:
            return
        self._only = only
        if only is not None:
            self._filter_words = []
        self._refresh()

    def filter_text(self) -> str:
        return " ".join(self._filter_words)

    def _refresh(self) -> None:
        self.beginResetModel()
        self._recompute()
        self.endResetModel()

    def _recompute(self) -> None:
        indices: Any = range(len(self._rows)) if self._only is None else self._only
        rows, hay = self._rows, self._haystack
        if self._scope_artist is not None:
            a = self._scope_artist
            indices = [i for i in indices if row_artist(rows[i]) == a or row_album_artist(rows[i]) == a]
        if self._scope_album is not None:
            aa, al = self._scope_album
            indices = [i for i in indices if row_album(rows[i]) == al and row_album_artist(rows[i]) == aa]
        for word in self._filter_words:
            indices = [i for i in indices if word in hay[i]]
        view = list(indices)
        if self._sort is not None:
            column, order = self._sort
            key = COLUMNS[column][2]
            view.sort(key=lambda i: key(rows[i]), reverse=order == Qt.SortOrder.DescendingOrder)
        self._view = view

    # -- Qt model ------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._view)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self._rows[self._view[index.row()]]
        if role == Qt.ItemDataRole.DisplayRole:
            text = COLUMNS[index.column()][1](row)
            mark = RATING_MARKS.get(row[RATING]) if index.column() == 0 else None
            return f"{mark[0]} {text}" if mark else text
        if role == TRACK_ID_ROLE:
            return row[ID]
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == PLAYS_COLUMN and (plays := plays_tooltip(row)) is not None:
                return plays
            # The cell whole (a narrow column elides "… (fof guitar)" and "… (fof rhythm)" alike), then the file.
            mark = RATING_MARKS.get(row[RATING])
            text = COLUMNS[index.column()][1](row) if index.column() < TEXT_COLUMNS else ""
            return "\n".join(line for line in (mark[1] if mark else "", text, row[PATH]) if line)
        if role == Qt.ItemDataRole.FontRole and row[ID] == self._playing_id:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= TEXT_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        self._recompute()
        self.layoutChanged.emit()

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [MIME_TRACK_IDS]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        ids: list[int] = []
        for index in indexes:
            tid = self.track_id_at(index.row())
            if tid not in ids:
                ids.append(tid)
        mime = QMimeData()
        mime.setData(MIME_TRACK_IDS, ",".join(map(str, ids)).encode())
        return mime
