"""The smart playlist dialog: a name, conditions (field, operator, value) joined by AND ("all") or OR
("any"), groups of conditions inside (each with its own all/any, nested as deep as wanted), a limit and
a sort order, with the number of matching tracks updated live.

Thin by design: the rules are the plain data of ``player.store.smart`` (validated there, counted there
with parameterised SQL); this dialog only edits that data. The field box is editable (type to find one
of the ~70 fields, listed by section); whatever cannot run — an unknown field or tag, a word where a
number belongs, an empty rule or group — shows the store's message and disables OK. Rules saved by the
CLI open as they are: nested groups become group boxes, an unknown field stays visible with its message.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from player.store.smart import (
    DATE_FIELDS,
    DATE_OPS,
    FIELDS,
    NUMBER_OPS,
    TEXT_FIELDS,
    TEXT_OPS,
    SmartRuleError,
    count_smart,
    tag_vocabulary,
    validate_rules,
)
from player.text import count_text, sentence

LIVE_DELAY_MS = 150
NO_SORT = "(library order)"
#: How the field box lists the fields; any field of the store not named here goes under "More".
SECTIONS = (
    ("Tags", ("artist", "album", "album_artist", "genre", "title", "year", "path")),
    ("Play statistics", ("plays", "skips", "play_count", "last_played", "added")),
    ("Sound (audio analysis)", ("tempo", "loudness", "duration")),
)
UNITS = {"last_played": "days", "added": "days", "tempo": "BPM", "loudness": "LUFS", "duration": "s"}
#: What a play statistic counts, in the field list's tooltips, the field box's and the value's placeholder
#: (a walk found "plays" and "play_count" side by side with nothing to tell them apart).
FIELD_HELP = {
    "plays": "times played to the end (completions)",
    "skips": "times skipped",
    "play_count": "times started, however each ended (completed, skipped or stopped)",
    "last_played": "days since it last played",
    "added": "days since it came into the library",
}
FIELD_TIP = "A tag, a play statistic, or an analysis tag (probability 0..1): type to search"


def _ops(field: str) -> tuple[str, ...]:
    if field in TEXT_FIELDS:
        return TEXT_OPS
    if field in DATE_FIELDS:
        return DATE_OPS
    return NUMBER_OPS


def fill_fields(combo: QComboBox, first: tuple[str, ...] = ()) -> None:
    """Every field, by section (section titles are not selectable); ``first`` before them."""
    combo.addItems(list(first))
    named = {f for _title, fields in SECTIONS for f in fields}
    sections = [
        *SECTIONS[:2],
        (SECTIONS[2][0], (*SECTIONS[2][1], *tag_vocabulary())),
        ("More", tuple(f for f in FIELDS if f not in named)),
    ]
    for title, fields in sections:
        present = [f for f in fields if f in FIELDS or f in tag_vocabulary()]
        if not present:
            continue
        combo.addItem(f"— {title} —")
        combo.model().item(combo.count() - 1).setEnabled(False)
        combo.addItems(present)
        for k in range(combo.count() - len(present), combo.count()):
            help_text = FIELD_HELP.get(combo.itemText(k))
            if help_text:
                combo.setItemData(k, f"{combo.itemText(k)}: {help_text}", Qt.ItemDataRole.ToolTipRole)


class ConditionRow(QWidget):
    """One condition: field, operator, value and a remove button."""

    def __init__(self, group: ConditionGroup, condition: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.group = group
        self._kind: tuple[str, ...] | None = None  # the operators of the last whole field name chosen
        schedule = group.dialog.schedule
        self.field = QComboBox()
        self.field.setEditable(True)
        self.field.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        fill_fields(self.field)
        self.field.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.field.completer().setFilterMode(Qt.MatchFlag.MatchContains)
        self.field.setToolTip(FIELD_TIP)
        self.op = QComboBox()
        self.value = QLineEdit()
        self.value.setPlaceholderText("value")
        self.remove = QToolButton()
        self.remove.setText("−")
        self.remove.setToolTip("Remove this condition")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 2)
        layout.addWidget(self.op, 1)
        layout.addWidget(self.value, 2)
        layout.addWidget(self.remove)
        self.field.currentTextChanged.connect(self._field_changed)
        self.field.setCurrentText("ambient")
        self._field_changed(self.field.currentText())
        if condition:
            self.field.setCurrentText(str(condition.get("field", "")))  # kept as written, even if unknown
            op = str(condition.get("op", ""))
            if op and self.op.findText(op) < 0:
                self.op.addItem(op)  # shown, so that its message makes sense
            self.op.setCurrentText(op)
            value = condition.get("value", "")
            self.value.setText(f"{value:g}" if isinstance(value, float) else str(value))
        self.op.currentTextChanged.connect(schedule)
        self.value.textChanged.connect(schedule)
        self.remove.clicked.connect(lambda: group.remove_item(self))

    def _field_changed(self, field: str) -> None:
        current = self.op.currentText()
        if field in FIELDS or field in tag_vocabulary():  # not a name half typed ("alb" for "album")
            if self._kind is not None and _ops(field) != self._kind:
                self.value.clear()  # another kind of value: "0.3" meant nothing to "genre" (found in a walk)
            self._kind = _ops(field)
        self.op.blockSignals(True)
        self.op.clear()
        self.op.addItems(list(_ops(field)))
        if current in _ops(field):
            self.op.setCurrentText(current)
        self.op.blockSignals(False)
        help_text = FIELD_HELP.get(field)
        self.field.setToolTip(f"{field}: {help_text}" if help_text else FIELD_TIP)
        self.value.setPlaceholderText(
            UNITS.get(field) or help_text or ("0..1" if field in tag_vocabulary() else "value")
        )
        self.group.dialog.schedule()

    def condition(self) -> dict[str, Any]:
        return {"field": self.field.currentText(), "op": self.op.currentText(), "value": self.value.text()}


class ConditionGroup(QFrame):
    """Conditions and groups joined by all (AND) or any (OR); the dialog's top level is one too."""

    def __init__(self, dialog: RuleDialog, rules: dict[str, Any] | None = None, nested: bool = False) -> None:
        super().__init__()
        self.dialog = dialog
        self.nested = nested
        self.items: list[ConditionRow | ConditionGroup] = []
        self.match = QComboBox()
        self.match.addItems(["all", "any"])
        self.match.setToolTip("all: every condition (AND); any: at least one (OR)")
        head = QHBoxLayout()
        head.addWidget(QLabel("Matching" if nested else "Tracks matching"))
        head.addWidget(self.match)
        head.addWidget(QLabel("of:" if nested else "of these conditions:"))
        head.addStretch(1)
        self.remove = QToolButton()
        self.remove.setText("−")
        self.remove.setToolTip("Remove this group")
        self.remove.setVisible(nested)
        head.addWidget(self.remove)
        self.box = QVBoxLayout()
        self.add_button = QPushButton("Add condition")
        self.group_button = QPushButton("Add group (all / any)")
        self.group_button.setToolTip("Conditions joined the other way, e.g. ambient > 0.3 AND (any of: ...)")
        adders = QHBoxLayout()
        adders.addWidget(self.add_button)
        adders.addWidget(self.group_button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(self.box)
        layout.addLayout(adders)
        if nested:
            self.setFrameShape(QFrame.Shape.StyledPanel)
            self.remove.clicked.connect(lambda: self.parent_group.remove_item(self))
        else:
            layout.setContentsMargins(0, 0, 0, 0)
        rules = rules or {}
        self.match.setCurrentText(str(rules.get("match", "all")))
        for cond in rules.get("conditions", []):
            if isinstance(cond, dict) and "conditions" in cond:
                self.add_group(cond)
            else:
                self.add_row(cond if isinstance(cond, dict) else None)
        self.match.currentTextChanged.connect(dialog.schedule)
        self.add_button.clicked.connect(lambda: self.add_row())
        self.group_button.clicked.connect(lambda: self.add_group())

    def add_row(self, condition: dict[str, Any] | None = None) -> ConditionRow:
        row = ConditionRow(self, condition)
        self.items.append(row)
        self.box.addWidget(row)
        self.dialog.schedule()
        return row

    def add_group(self, rules: dict[str, Any] | None = None) -> ConditionGroup:
        """A nested group; a new one starts "any" with one condition (the usual reason to add one)."""
        group = ConditionGroup(self.dialog, rules or {"match": "any", "conditions": [{}]}, nested=True)
        group.parent_group = self
        self.items.append(group)
        self.box.addWidget(group)
        self.dialog.schedule()
        return group

    def remove_item(self, item: ConditionRow | ConditionGroup) -> None:
        self.items.remove(item)
        item.setParent(None)
        item.deleteLater()
        self.dialog.schedule()

    def rows(self) -> list[ConditionRow]:
        return [i for i in self.items if isinstance(i, ConditionRow)]

    def groups(self) -> list[ConditionGroup]:
        return [i for i in self.items if isinstance(i, ConditionGroup)]

    def rules(self) -> dict[str, Any]:
        return {
            "match": self.match.currentText(),
            "conditions": [i.rules() if isinstance(i, ConditionGroup) else i.condition() for i in self.items],
        }


class RuleDialog(QDialog):
    """Edit a smart playlist. ``rules()`` gives the data; ``name()`` the name; ``count`` the live count."""

    def __init__(
        self, store: Any, name: str = "", rules: dict[str, Any] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Smart playlist")
        self.count: int | None = None
        self.error: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LIVE_DELAY_MS)
        self._timer.timeout.connect(self.update_count)

        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText("Name")
        default = {"match": "all", "conditions": [{"field": "ambient", "op": ">", "value": 0.3}]}
        self.top = ConditionGroup(self, rules if rules else default)
        self.match = self.top.match
        self.add_button = self.top.add_button
        self.limit = QSpinBox()
        self.limit.setRange(0, 100_000)
        self.limit.setSpecialValueText("no limit")
        self.sort = QComboBox()
        fill_fields(self.sort, (NO_SORT, "random"))
        self.descending = QCheckBox("descending")
        self.count_label = QLabel("")
        self.count_label.setObjectName("ruleCount")
        self.error_label = QLabel("")
        self.error_label.setObjectName("ruleError")
        self.error_label.setStyleSheet("color: #c92a2a;")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        order = QHBoxLayout()
        order.addWidget(self.sort, 1)
        order.addWidget(self.descending)
        form = QFormLayout()
        form.addRow("Limit", self.limit)
        form.addRow("Sort by", order)
        layout = QVBoxLayout(self)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.top)
        layout.addLayout(form)
        layout.addWidget(self.count_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

        rules = rules or {}
        self.limit.setValue(int(rules.get("limit") or 0))
        self.sort.setCurrentText(str(rules.get("sort") or NO_SORT))
        self.descending.setChecked(bool(rules.get("descending")))
        for signal in (
            self.limit.valueChanged,
            self.sort.currentTextChanged,
            self.descending.toggled,
            self.name_edit.textChanged,
        ):
            signal.connect(self.schedule)
        self.update_count()

    # -- rows (of the top level) -----------------------------------------------------------------------
    @property
    def rows(self) -> list[ConditionRow]:
        return self.top.rows()

    def add_row(self, condition: dict[str, Any] | None = None) -> ConditionRow:
        return self.top.add_row(condition)

    def add_group(self, rules: dict[str, Any] | None = None) -> ConditionGroup:
        return self.top.add_group(rules)

    def remove_row(self, row: ConditionRow | ConditionGroup) -> None:
        self.top.remove_item(row)

    # -- data ----------------------------------------------------------------------------------------
    def name(self) -> str:
        return " ".join(self.name_edit.text().split())

    def rules(self) -> dict[str, Any]:
        """The rules as edited (not yet validated)."""
        rules = self.top.rules()
        if self.limit.value():
            rules["limit"] = self.limit.value()
        if self.sort.currentText() != NO_SORT:
            rules["sort"] = self.sort.currentText()
            rules["descending"] = self.descending.isChecked()
        return rules

    def schedule(self, *_args: object) -> None:
        if hasattr(self, "_timer"):
            self._timer.start()

    def update_count(self) -> None:
        """Validate the rules and count the tracks they give now (the live result)."""
        self._timer.stop()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            self.count = count_smart(self.store, validate_rules(self.rules()))
            self.error = None if self.name() else "give the smart playlist a name"
        except SmartRuleError as exc:
            self.count, self.error = None, str(exc)
        self.error_label.setText(sentence(self.error or ""))
        self._fit_height()
        if self.count is None:
            self.count_label.setText("")
        else:
            self.count_label.setText(f"{count_text(self.count)} match now")
        ok.setEnabled(self.error is None)

    def _fit_height(self) -> None:
        """Grow to show a long error whole: its wrapped lines squeezed the rule rows to 12 px (a walk),
        since a layout's minimum height does not count a wrapped label's lines."""
        layout = self.layout()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else 0
        needed = max(needed, layout.totalSizeHint().height())
        if self.height() < needed:
            self.resize(self.width(), needed)

    def accept(self) -> None:
        self.update_count()
        if self.error is None:
            super().accept()
