"""The mouse wheel scrolls a page of settings instead of changing the value under the pointer.

Qt gives a wheel turn to whatever combo box, spin box or slider the pointer crosses, so scrolling down the
Settings dialog flipped "Audio analysis ▸ Device" to "GPU (CUDA)" on a machine without one, silently, to be
saved by OK. Guarded fields take the wheel only once focused (clicked or tabbed to); until then the turn
goes on to the scroll area around them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox, QAbstractSlider)


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is None:
            event.ignore()  # not accepted: Qt offers it to the parents
        else:  # handed on, not left to Qt: Qt passes a wheel turn up only when it came from the screen
            QCoreApplication.sendEvent(area.viewport(), event)
        return True


def guard_wheel(root: QWidget) -> None:
    """Make every combo box, spin box and slider inside ``root`` take the wheel only when focused."""
    guard = _WheelGuard(root)
    for kind in GUARDED:
        for widget in root.findChildren(kind):
            if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel turn no longer focuses it
            widget.installEventFilter(guard)
