"""The smart playlist dialog: a name, conditions (field, operator, value) joined by AND or OR, a limit
and a sort order, with the number of matching tracks updated live.

Thin by design: the rules are the plain data of ``player.store.smart`` (validated there, counted there
with parameterised SQL); this dialog only edits that data. A rule that cannot run shows the store's
message and disables OK.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
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

LIVE_DELAY_MS = 150
NO_SORT = "(library order)"


def _ops(field: str) -> tuple[str, ...]:
    if field in TEXT_FIELDS:
        return TEXT_OPS
    if field in DATE_FIELDS:
        return DATE_OPS
    return NUMBER_OPS


class ConditionRow(QWidget):
    """One condition: field, operator, value and a remove button."""

    def __init__(self, dialog: RuleDialog, condition: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.dialog = dialog
        self.field = QComboBox()
        self.field.addItems([*FIELDS, *tag_vocabulary()])
        self.field.setToolTip("A tag, a play statistic, or an analysis tag (probability 0..1)")
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
        self._field_changed(self.field.currentText())
        if condition:
            self.field.setCurrentText(str(condition.get("field", "")))
            self.op.setCurrentText(str(condition.get("op", "")))
            value = condition.get("value", "")
            self.value.setText(f"{value:g}" if isinstance(value, float) else str(value))
        self.op.currentTextChanged.connect(dialog.schedule)
        self.value.textChanged.connect(dialog.schedule)
        self.remove.clicked.connect(lambda: dialog.remove_row(self))

    def _field_changed(self, field: str) -> None:
        current = self.op.currentText()
        self.op.blockSignals(True)
        self.op.clear()
        self.op.addItems(list(_ops(field)))
        if current in _ops(field):
            self.op.setCurrentText(current)
        self.op.blockSignals(False)
        unit = {"last_played": "days", "added": "days", "tempo": "BPM", "loudness": "LUFS", "duration": "s"}
        self.value.setPlaceholderText(unit.get(field, "0..1" if field in tag_vocabulary() else "value"))
        self.dialog.schedule()

    def condition(self) -> dict[str, Any]:
        return {"field": self.field.currentText(), "op": self.op.currentText(), "value": self.value.text()}


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
        self.match = QComboBox()
        self.match.addItems(["all", "any"])
        self.match.setToolTip("all: every condition (AND); any: at least one (OR)")
        self.rows: list[ConditionRow] = []
        self.rows_box = QVBoxLayout()
        self.add_button = QPushButton("Add condition")
        self.limit = QSpinBox()
        self.limit.setRange(0, 100_000)
        self.limit.setSpecialValueText("no limit")
        self.sort = QComboBox()
        self.sort.addItems([NO_SORT, "random", *FIELDS, *tag_vocabulary()])
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

        head = QHBoxLayout()
        head.addWidget(QLabel("Tracks matching"))
        head.addWidget(self.match)
        head.addWidget(QLabel("of these conditions:"))
        head.addStretch(1)
        order = QHBoxLayout()
        order.addWidget(self.sort, 1)
        order.addWidget(self.descending)
        form = QFormLayout()
        form.addRow("Limit", self.limit)
        form.addRow("Sort by", order)
        layout = QVBoxLayout(self)
        layout.addWidget(self.name_edit)
        layout.addLayout(head)
        layout.addLayout(self.rows_box)
        layout.addWidget(self.add_button)
        layout.addLayout(form)
        layout.addWidget(self.count_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        rules = rules or {}
        self.match.setCurrentText(str(rules.get("match", "all")))
        for cond in rules.get("conditions", []):
            if "conditions" not in cond:  # nested groups are kept by the CLI; the dialog edits flat rules
                self.add_row(cond)
        if not self.rows and not rules:
            self.add_row({"field": "ambient", "op": ">", "value": 0.3})
        self.limit.setValue(int(rules.get("limit") or 0))
        self.sort.setCurrentText(str(rules.get("sort") or NO_SORT))
        self.descending.setChecked(bool(rules.get("descending")))
        self.add_button.clicked.connect(lambda: self.add_row())
        for signal in (
            self.match.currentTextChanged,
            self.limit.valueChanged,
            self.sort.currentTextChanged,
            self.descending.toggled,
            self.name_edit.textChanged,
        ):
            signal.connect(self.schedule)
        self.update_count()

    # -- rows ----------------------------------------------------------------------------------------
    def add_row(self, condition: dict[str, Any] | None = None) -> ConditionRow:
        row = ConditionRow(self, condition)
        self.rows.append(row)
        self.rows_box.addWidget(row)
        self.schedule()
        return row

    def remove_row(self, row: ConditionRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.schedule()

    # -- data ----------------------------------------------------------------------------------------
    def name(self) -> str:
        return " ".join(self.name_edit.text().split())

    def rules(self) -> dict[str, Any]:
        """The rules as edited (not yet validated)."""
        rules: dict[str, Any] = {
            "match": self.match.currentText(),
            "conditions": [r.condition() for r in self.rows],
        }
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
        self.error_label.setText(self.error or "")
        if self.count is None:
            self.count_label.setText("")
        else:
            self.count_label.setText(f"{self.count} track{'s' if self.count != 1 else ''} match now")
        ok.setEnabled(self.error is None)

    def accept(self) -> None:
        self.update_count()
        if self.error is None:
            super().accept()
