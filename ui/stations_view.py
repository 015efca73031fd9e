"""The Stations tab: type a station in the station language, set the familiar <-> new dial, play it,
save it under a name and play it again later.

What the box understands is ``recommender.prompt`` (the same grammar as ``encore radio --prompt``); this
widget only edits, completes and shows. Completion offers the terms, the library's artists (as
``artist:(Name)``) and the analysis tags (as ``tag:(name)``) for the word under the cursor. A prompt
that cannot be read is shown under the box, with a caret under the faulty part, as the CLI prints it;
Play is enabled only for a prompt that parses. Saved stations are ``player.store.stations``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ui.confirm import ask_name

TERMS = (
    "like:(",
    "artist:(",
    "tag:(",
    "sounds:(",
    "-artist:(",
    "-tag:(",
    "-like:(",
    "year:",
    "tempo:<",
    "genre:(contains ",
    "new",
    "familiar",
    "loved",
    "unplayed",
    "from:(",
    "via:(",
    "to:(",
)
EXAMPLE = "sounds:(calm piano) -artist:(Muse) year:1990-2010"


def plan_prompt_path(db_path: str, prompt: str, n: int = 12) -> list[tuple[int, str]]:
    """(track id, why) of a prompt's path, from:(A) via:(C) to:(B) (runs in a worker)."""
    from player.store import Store
    from recommender.prompt.station import prompt_station

    with Store.open(db_path) as store:
        return prompt_station(store, prompt, n=n).items(10 * n)


def last_word_start(text: str, cursor: int) -> int:
    """Where the term under ``cursor`` starts: after the last space that is not inside parentheses."""
    depth = 0
    start = 0
    for i, ch in enumerate(text[:cursor]):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch.isspace() and depth == 0:
            start = i + 1
    return start


class StationsView(QWidget):
    """Signals: ``playRequested(prompt, label, dial)``."""

    playRequested = Signal(str, str, int)

    def __init__(self, store: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from recommender.radio.settings import DIAL_LABELS

        self.store = store
        self._labels = DIAL_LABELS
        self.names: Callable[[], list[str]] | None = None  # the library's artists, set by the window

        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText(f"Describe a station, e.g. {EXAMPLE}")
        self.prompt.setClearButtonEnabled(True)
        self.prompt.textChanged.connect(self._check)
        self.prompt.returnPressed.connect(self.play)
        self._model = QStringListModel(list(TERMS), self)
        self.completer = QCompleter(self._model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setWidget(self.prompt)
        self.completer.activated.connect(self._complete)
        self.prompt.textEdited.connect(self._offer)

        self.error = QLabel("")
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.error.setFont(fixed)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(False)
        # Room for the three lines of an error (prompt, caret, message) kept: the page does not jump.
        self.error.setMinimumHeight(3 * self.error.fontMetrics().lineSpacing() + 4)

        self.dial = QSlider(Qt.Orientation.Horizontal)
        self.dial.setRange(-2, 2)
        self.dial.setValue(0)
        self.dial.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.dial.setPageStep(1)
        self.dial.setAccessibleName("Familiar to new")
        self.dial_label = QLabel()
        self.dial_label.setMinimumWidth(
            self.dial_label.fontMetrics().horizontalAdvance("mostly familiar") + 8
        )
        self.dial.valueChanged.connect(self._dial_moved)
        self._dial_moved(0)

        self.play_button = QPushButton("Play station")
        self.play_button.clicked.connect(self.play)
        self.save_button = QPushButton("Save…")
        self.save_button.clicked.connect(self.save)
        self.play_button.setEnabled(False)
        self.save_button.setEnabled(False)

        self.saved = QListWidget()
        self.saved.itemDoubleClicked.connect(self._saved_activated)
        self.saved.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.saved.customContextMenuRequested.connect(self._saved_menu)
        self.saved.setToolTip("Double-click: play · right-click: delete")

        help_text = QLabel(
            "<b>Terms</b>: like:(Artist - Song) · artist:(Name) · tag:(trip hop) · sounds:(calm piano), "
            "each with a weight like <code>:2</code> · <code>-artist:(…)</code>, <code>-tag:(…)</code> "
            "to leave out · year:1990-1999 · tempo:&lt;110 · any smart-playlist field · new, familiar, "
            "loved, unplayed"
        )
        help_text.setWordWrap(True)
        help_text.setTextFormat(Qt.TextFormat.RichText)

        dial_row = QHBoxLayout()
        dial_row.addWidget(QLabel("<b>Dial</b>:"))
        dial_row.addWidget(self.dial_label)
        dial_row.addSpacing(12)
        dial_row.addWidget(QLabel("familiar"))
        dial_row.addWidget(self.dial, 1)
        dial_row.addWidget(QLabel("new"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.play_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Station</b>"))
        layout.addWidget(self.prompt)
        layout.addWidget(self.error)
        layout.addWidget(help_text)
        layout.addLayout(dial_row)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("<b>Saved stations</b>"))
        layout.addWidget(self.saved, 1)
        self.reload()

    # -- the box -------------------------------------------------------------------------------------
    def _check(self, text: str) -> bool:
        """Parse as the user types: the error and a caret under it, or nothing; Play follows."""
        from recommender.prompt.grammar import PromptError, parse_prompt
        from recommender.prompt.resolve import filter_fields

        ok = False
        if not text.strip():
            self.error.setText("")
        else:
            try:
                parse_prompt(text, filter_fields())
                self.error.setText("")
                ok = True
            except PromptError as exc:
                self.show_error(exc.show())
        self.play_button.setEnabled(ok)
        self.save_button.setEnabled(ok)
        return ok

    def show_error(self, text: str) -> None:
        """An error under the box: the prompt, a caret line and the message (plain, fixed-width)."""
        self.error.setText(text)

    def _offer(self, text: str) -> None:
        start = last_word_start(text, self.prompt.cursorPosition())
        word = text[start : self.prompt.cursorPosition()].lstrip("-")  # "-Muld" completes as "Muld"
        if len(word) < 2:
            self.completer.popup().hide()
            return
        self._model.setStringList(self._choices())
        self.completer.setCompletionPrefix(word)
        if self.completer.completionCount():
            self.completer.complete()
        else:
            self.completer.popup().hide()  # nothing matches: no empty box over the error line

    def _choices(self) -> list[str]:
        from player.store.smart import tag_vocabulary
        from recommender.prompt.lastfm_tags import lastfm_tag_names

        artists = [f"artist:({a})" for a in (self.names() if self.names is not None else [])]
        # The 50 analysis tags, then the factor bundle's Last.fm tags ("trip-hop", "soundtrack"), once each.
        tags = dict.fromkeys(f"tag:({t.lower()})" for t in (*tag_vocabulary(), *lastfm_tag_names()))
        return [*TERMS, *artists, *tags]

    def _complete(self, chosen: str) -> None:
        text = self.prompt.text()
        cursor = self.prompt.cursorPosition()
        start = last_word_start(text, cursor)
        if text[start : start + 1] == "-" and not chosen.startswith("-"):
            chosen = "-" + chosen  # an exclusion stays one
        new = text[:start] + chosen + text[cursor:]
        self.prompt.setText(new)
        self.prompt.setCursorPosition(start + len(chosen))

    def _dial_moved(self, value: int) -> None:
        self.dial_label.setText(self._labels.get(int(value), ""))

    # -- actions ---------------------------------------------------------------------------------------
    def play(self, label: str | None = None) -> None:
        text = self.prompt.text().strip()
        if not self._check(text):
            return
        self.playRequested.emit(text, label or text, int(self.dial.value()))

    def save(self) -> None:
        from player.store.stations import save_station

        text = self.prompt.text().strip()
        if not self._check(text):
            return
        name = ask_name(self, "Save station", text[:60])
        if name is None or not name.strip():
            return
        try:
            save_station(self.store, name, text, int(self.dial.value()))
        except ValueError as exc:
            self.show_error(str(exc))
            return
        self.reload()

    def reload(self) -> None:
        from player.store.stations import list_stations

        self.saved.clear()
        for station in list_stations(self.store):
            dial = self._labels.get(station.dial, "")
            item = QListWidgetItem(f"{station.name}    —    {station.prompt}  ({dial})")
            item.setData(Qt.ItemDataRole.UserRole, (station.name, station.prompt, station.dial))
            self.saved.addItem(item)

    def _saved_activated(self, item: QListWidgetItem) -> None:
        name, prompt, dial = item.data(Qt.ItemDataRole.UserRole)
        self.prompt.setText(prompt)
        self.dial.setValue(int(dial))
        self.play(label=name)

    def _saved_menu(self, pos: Any) -> None:
        item = self.saved.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        delete = menu.addAction("Delete station")
        if menu.exec(self.saved.viewport().mapToGlobal(pos)) is delete:
            self.delete(item.data(Qt.ItemDataRole.UserRole)[0])

    def delete(self, name: str) -> None:
        from player.store.stations import delete_station

        delete_station(self.store, name)
        self.reload()
