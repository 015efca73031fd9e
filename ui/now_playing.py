"""The now-playing bar: cover, title/artist/album, why it plays, seek slider, transport and volume.

A passive widget: it shows what it is told (``show_track``, ``set_position``, ``set_state``) and reports
the user's wishes as signals; the main window wires it to the playback controller.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.icons import icon
from ui.library_rows import format_duration

COVER_SIZE = 72
_SLIDER_STEPS = 1000  # seek slider resolution (per mille of the track)


class SeekSlider(QSlider):
    """A slider that jumps to the clicked point (a plain ``QSlider`` only pages towards it), then
    drags from there as usual."""

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt name)
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            handle = self.style().subControlRect(
                QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
            )
            if not handle.contains(event.position().toPoint()):
                groove = self.style().subControlRect(
                    QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, self
                )
                span = max(groove.width() - handle.width(), 1)
                x = int(event.position().x()) - groove.x() - handle.width() // 2
                value = QStyle.sliderValueFromPosition(
                    self.minimum(), self.maximum(), x, span, option.upsideDown
                )
                self.setValue(value)  # the handle is now under the pointer: the press below grabs it
                self.sliderMoved.emit(value)
        super().mousePressEvent(event)


class LinkLabel(QLabel):
    """A label that reports a click (the "Radio from …" line leads to the station's seed)."""

    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt name)
        if event.button() == Qt.MouseButton.LeftButton and self.text():
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class NowPlayingBar(QWidget):
    playPauseClicked = Signal()
    nextClicked = Signal()
    previousClicked = Signal()
    stopClicked = Signal()
    shuffleToggled = Signal(bool)
    repeatClicked = Signal()  # cycles off → all → one
    seekRequested = Signal(float)  # seconds
    volumeChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NowPlayingBar")
        self._duration: float | None = None
        self._dragging = False

        self.cover = QLabel()
        self.cover.setFixedSize(COVER_SIZE, COVER_SIZE)
        self.cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder = icon("cover").pixmap(QSize(COVER_SIZE, COVER_SIZE))
        self.cover.setPixmap(self._placeholder)

        self.title = QLabel("Nothing playing")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel("Pick a track, or start a radio from one (Ctrl+R)")
        self.why = LinkLabel("")
        self.why.setObjectName("why")
        self.why.setCursor(Qt.CursorShape.PointingHandCursor)
        self.why.setToolTip("Show where this comes from")
        self.why.setStyleSheet("color: #3b5bdb;")
        for label in (self.title, self.subtitle, self.why):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for label in (self.title, self.subtitle):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        text = QVBoxLayout()
        text.setSpacing(1)
        text.addWidget(self.title)
        text.addWidget(self.subtitle)
        text.addWidget(self.why)

        self.prev_button = self._button("previous", "Previous track", self.previousClicked)
        self.play_button = self._button("play", "Play / pause (Space)", self.playPauseClicked)
        self.play_button.setIconSize(QSize(32, 32))
        self.next_button = self._button("next", "Next track (Ctrl+N)", self.nextClicked)
        self.stop_button = self._button("stop", "Stop (Ctrl+Shift+S)", self.stopClicked)
        self.shuffle_button = QToolButton()
        self.shuffle_button.setIcon(icon("shuffle"))
        self.shuffle_button.setIconSize(QSize(20, 20))
        self.shuffle_button.setCheckable(True)
        self.shuffle_button.setAutoRaise(True)
        self.shuffle_button.setToolTip("Shuffle the upcoming tracks (Ctrl+H)")
        self.shuffle_button.toggled.connect(self.shuffleToggled)
        self.repeat_button = QToolButton()
        self.repeat_button.setIconSize(QSize(20, 20))
        self.repeat_button.setCheckable(True)
        self.repeat_button.setAutoRaise(True)
        self.repeat_button.clicked.connect(lambda _checked=False: self.repeatClicked.emit())
        self.set_modes(False, "off")

        self.elapsed = QLabel("0:00")
        self.remaining = QLabel("")
        for label in (self.elapsed, self.remaining):
            label.setMinimumWidth(48)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.seek = SeekSlider(Qt.Orientation.Horizontal)
        self.seek.setRange(0, _SLIDER_STEPS)
        self.seek.setEnabled(False)
        self.seek.setToolTip("Seek (← / →: 5 s)")
        self.seek.sliderPressed.connect(self._press)
        self.seek.sliderReleased.connect(self._release)
        self.seek.sliderMoved.connect(self._moved)

        self.volume = SeekSlider(Qt.Orientation.Horizontal)  # jumps to the click, as the seek bar
        self.volume.setRange(0, 100)
        self.volume.setValue(100)
        self.volume.setFixedWidth(100)
        self.volume.setToolTip("Volume")
        self.volume.valueChanged.connect(self.volumeChanged)

        transport = QHBoxLayout()
        self._transport = transport
        transport.addWidget(self.prev_button)
        transport.addWidget(self.play_button)
        transport.addWidget(self.next_button)
        transport.addWidget(self.stop_button)
        transport.addWidget(self.shuffle_button)
        transport.addWidget(self.repeat_button)
        transport.addSpacing(8)
        transport.addWidget(self.elapsed)
        transport.addWidget(self.seek, 1)
        transport.addWidget(self.remaining)
        transport.addSpacing(8)
        transport.addWidget(QLabel("Vol"))
        transport.addWidget(self.volume)

        right = QVBoxLayout()
        right.addLayout(text)
        right.addLayout(transport)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.cover)
        layout.addLayout(right, 1)

    def add_tool_widget(self, widget: QWidget) -> None:
        """Another control after shuffle and repeat (e.g. love, then ban: ``ui.window_shaping``), in the
        order added."""
        self._tools = getattr(self, "_tools", 0) + 1
        self._transport.insertWidget(self._transport.indexOf(self.repeat_button) + self._tools, widget)

    def _button(self, name: str, tip: str, signal: Signal) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setIconSize(QSize(24, 24))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(signal)
        return button

    # -- shown state ---------------------------------------------------------------------------------
    def show_track(self, title: str, artist: str, album: str, why: str = "") -> None:
        self.title.setText(title)
        parts = [p for p in (artist, album) if p]
        self.subtitle.setText(" — ".join(parts))
        self.why.setText(why)
        self.seek.setEnabled(True)

    def clear(self) -> None:
        self.title.setText("Nothing playing")
        self.subtitle.setText("Pick a track, or start a radio from one (Ctrl+R)")
        self.why.setText("")
        self.seek.setEnabled(False)
        self.set_position(0.0, None)
        self.set_cover(None)

    def set_cover(self, image: QImage | None) -> None:
        if image is None or image.isNull():
            self.cover.setPixmap(self._placeholder)
        else:
            pixmap = QPixmap.fromImage(image).scaled(
                COVER_SIZE,
                COVER_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self.cover.setPixmap(pixmap)

    def set_state(self, state: str) -> None:
        self.play_button.setIcon(icon("pause" if state == "playing" else "play"))

    def set_position(self, position: float, duration: float | None) -> None:
        self._duration = duration
        if self._dragging and duration:
            return  # the labels show where the handle is, until it is released
        self.elapsed.setText(format_duration(position) or "0:00")
        if duration:
            self.remaining.setText("-" + (format_duration(max(duration - position, 0.0)) or "0:00"))
            self.seek.setValue(int(_SLIDER_STEPS * min(max(position / duration, 0.0), 1.0)))
        else:
            self.remaining.setText("")
            if not self._dragging:
                self.seek.setValue(0)

    def set_modes(self, shuffle: bool, repeat: str) -> None:
        """Show the queue's shuffle and repeat modes (repeat: "off", "all" or "one")."""
        self.shuffle_button.blockSignals(True)
        self.shuffle_button.setChecked(bool(shuffle))
        self.shuffle_button.blockSignals(False)
        self.repeat_mode = repeat
        self.repeat_button.setChecked(repeat != "off")
        self.repeat_button.setIcon(icon("repeat-one" if repeat == "one" else "repeat"))
        tips = {"off": "Repeat: off", "all": "Repeat: the whole queue", "one": "Repeat: this track"}
        self.repeat_button.setToolTip(f"{tips.get(repeat, repeat)} (Ctrl+T: change)")

    def set_volume(self, volume: int) -> None:
        self.volume.blockSignals(True)
        self.volume.setValue(volume)
        self.volume.blockSignals(False)

    # -- seeking -------------------------------------------------------------------------------------
    def _press(self) -> None:
        self._dragging = True

    def _moved(self, value: int) -> None:
        if self._duration:
            position = self._duration * value / _SLIDER_STEPS
            self.elapsed.setText(format_duration(position) or "0:00")
            self.remaining.setText("-" + (format_duration(max(self._duration - position, 0.0)) or "0:00"))

    def _release(self) -> None:
        self._dragging = False
        if self._duration:
            self.seekRequested.emit(self._duration * self.seek.value() / _SLIDER_STEPS)
