"""The "Your taste" tab: the library's audio map (PCA of the embeddings), coloured by what you play.

The projection and the region heat come from ``recommender.taste.map`` in a worker; this widget only
draws: a heat layer (regions you play often glow), one dot per analysed track (brighter and larger the
more it was played), and a ring on the playing track. Click a dot to see the track; double-click to
start a radio from it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QToolTip, QWidget

from ui.workers import TaskRunner

EXTENT = 1.2  # map coordinates drawn: [-EXTENT, EXTENT]
BUCKETS = (
    (0, QColor(150, 160, 175, 150), 3.5),
    (1, QColor(80, 150, 240), 5.0),
    (3, QColor(60, 200, 120), 6.0),
)
HOT = (8, QColor(255, 140, 50), 7.0)


def compute_map(db_path: str) -> dict[str, Any]:
    """Plain lists for drawing (worker thread)."""
    from player.store import Store
    from player.store.browse import library_rows
    from recommender.taste.map import taste_map

    with Store.open(db_path) as store:
        tmap = taste_map(store)
        labels = {r[0]: (r[1] or r[10].rsplit("/", 1)[-1], r[2] or "") for r in library_rows(store)}
    ids = tmap.track_ids.tolist()
    return {
        "ids": ids,
        "xy": tmap.xy.tolist(),
        "plays": tmap.plays.tolist(),
        "skips": tmap.skips.tolist() if tmap.skips is not None else [0] * len(ids),
        "heat": tmap.heat.tolist(),
        "explained": tmap.explained,
        "labels": {i: labels.get(i, ("?", "")) for i in ids},
    }


def _bucket(plays: int) -> tuple[QColor, float]:
    if plays >= HOT[0]:
        return HOT[1], HOT[2]
    colour, size = BUCKETS[0][1], BUCKETS[0][2]
    for threshold, c, s in BUCKETS:
        if plays >= threshold:
            colour, size = c, s
    return colour, size


class TasteView(QWidget):
    radioRequested = Signal(int)
    loaded = Signal()

    def __init__(self, runner: TaskRunner, db_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.db_path = db_path
        self.data: dict[str, Any] | None = None
        self.playing: int | None = None
        self.selected: int | None = None
        self._stale = False
        self._loading = False
        self._heat_image: QImage | None = None
        self._groups: list = []
        self._groups_key: tuple | None = None
        self.setMinimumSize(300, 300)
        self.setMouseTracking(True)  # hover tooltips

    def refresh(self) -> None:
        if self._loading:
            return
        self._loading = True
        self._stale = False
        self.runner.start(compute_map, self.db_path, on_result=self._loaded, on_error=self._failed)

    def mark_stale(self) -> None:
        self._stale = True

    def refresh_if_stale(self) -> None:
        if self._stale:
            self.refresh()

    def set_playing(self, track_id: int | None) -> None:
        self.playing = track_id
        self.update()

    def _failed(self, message: str) -> None:
        self._loading = False
        self.data = {"error": message}
        self.update()

    def _loaded(self, data: dict[str, Any]) -> None:
        self._loading = False
        self.data = data
        heat = data["heat"]
        g = len(heat)
        image = QImage(g, g, QImage.Format.Format_ARGB32)
        image.fill(QColor(0, 0, 0, 0))
        for y in range(g):
            for x in range(g):
                v = heat[y][x]
                if v > 0.02:  # what you finish and love: a warm glow
                    image.setPixelColor(x, g - 1 - y, QColor(255, int(200 - 120 * v), 60, int(170 * v**0.7)))
                elif v < -0.02:  # what you skip: a cold one
                    image.setPixelColor(x, g - 1 - y, QColor(70, 120, 255, int(150 * (-v) ** 0.7)))
        self._heat_image = image
        self.update()
        self.loaded.emit()

    # -- geometry ------------------------------------------------------------------------------------
    def _plot_rect(self) -> QRectF:
        top, bottom, side = 34.0, 48.0, 16.0
        return QRectF(side, top, max(self.width() - 2 * side, 10.0), max(self.height() - top - bottom, 10.0))

    def _to_screen(self, x: float, y: float, rect: QRectF) -> QPointF:
        # The map spans the 5th..95th percentiles (recommender.taste.map.project); the few tracks beyond sit on its edge, not off it.
        x, y = min(max(x, -EXTENT), EXTENT), min(max(y, -EXTENT), EXTENT)
        return QPointF(
            rect.left() + (x + EXTENT) / (2 * EXTENT) * rect.width(),
            rect.bottom() - (y + EXTENT) / (2 * EXTENT) * rect.height(),
        )

    def track_at(self, pos: QPointF) -> int | None:
        if not self.data or "ids" not in self.data:
            return None
        rect = self._plot_rect()
        best, best_d = None, 12.0**2
        for tid, (x, y) in zip(self.data["ids"], self.data["xy"], strict=True):
            p = self._to_screen(x, y, rect)
            d = (p.x() - pos.x()) ** 2 + (p.y() - pos.y()) ** 2
            if d < best_d:
                best, best_d = tid, d
        return best

    def _point_groups(self, rect: QRectF) -> list[tuple[tuple[int, float], tuple[QColor, QPolygonF]]]:
        """Screen points grouped by colour and size, smallest first; cached until the data or the size
        changes (at 100k tracks, rebuilding them on every paint would make the tab sluggish)."""
        key = (id(self.data), rect.width(), rect.height())
        if self._groups_key == key:
            return self._groups
        groups: dict[tuple[int, float], tuple[QColor, QPolygonF]] = {}
        for (x, y), plays in zip(self.data["xy"], self.data["plays"], strict=True):
            colour, size = _bucket(plays)
            group = (colour.rgba(), size)
            if group not in groups:
                groups[group] = (colour, QPolygonF())
            groups[group][1].append(self._to_screen(x, y, rect))
        self._groups = sorted(groups.items(), key=lambda kv: kv[0][1])
        self._groups_key = key
        return self._groups

    # -- events --------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.selected = self.track_at(event.position())
        self.update()

    def tooltip_text(self, track_id: int | None) -> str:
        """What hovering a dot says: the track, and how often it was played to the end or skipped."""
        if track_id is None or not self.data or track_id not in self.data.get("labels", {}):
            return ""
        i = self.data["ids"].index(track_id)
        title, artist = self.data["labels"][track_id]
        plays, skips = self.data["plays"][i], self.data.get("skips", [0] * (i + 1))[i]
        heard = f"played to the end {plays}×" if plays else "never played to the end"
        return (
            f"{title} — {artist}\n{heard}"
            + (f", skipped {skips}×" if skips else "")
            + "\nDouble-click: radio"
        )

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        text = self.tooltip_text(self.track_at(event.position()))
        if text:
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        else:
            QToolTip.hideText()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        track = self.track_at(event.position())
        if track is not None:
            self.radioRequested.emit(int(track))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(24, 28, 38))
        painter.setPen(QColor(220, 225, 235))
        title = QFont(self.font())
        title.setBold(True)
        painter.setFont(title)
        painter.drawText(
            QRectF(12, 6, self.width() - 24, 24),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(
                "Your taste: every analysed track, placed by how it sounds (alike sounds sit close)",
                Qt.TextElideMode.ElideRight,
                self.width() - 24,
            ),
        )
        painter.setFont(self.font())
        data = self.data
        if data is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Drawing the map…")
            return
        if "error" in data:
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, f"The map is not available: {data['error']}"
            )
            return
        if not data["ids"]:
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "No track has been analysed yet.\nThe map fills in as the background audio analysis runs.",
            )
            return
        rect = self._plot_rect()
        if self._heat_image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(rect, self._heat_image)
        painter.setPen(QPen(QColor(60, 66, 80), 1))
        painter.drawRect(rect)
        for (_rgba, size), (colour, points) in self._point_groups(rect):
            pen = QPen(colour, size)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawPoints(points)
        labels = data["labels"]
        for tid, colour, text in (
            (self.selected, QColor(255, 255, 255), "selected"),
            (self.playing, QColor(255, 80, 80), "playing"),
        ):
            if tid is None or tid not in labels:
                continue
            i = data["ids"].index(tid)
            p = self._to_screen(*data["xy"][i], rect)
            painter.setPen(QPen(colour, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(p, 9, 9)
            title_text, artist = labels[tid]
            label = f"{'▶ ' if text == 'playing' else ''}{title_text} — {artist}"
            width = painter.fontMetrics().horizontalAdvance(label)
            x = p.x() + 12 if p.x() + 12 + width < self.width() - 4 else max(p.x() - 12 - width, 4.0)
            painter.drawText(QPointF(x, max(p.y() - 8, rect.top() + 12)), label)
        painter.setPen(QColor(170, 175, 190))
        painter.drawText(
            QRectF(12, rect.bottom() + 4, self.width() - 24, self.height() - rect.bottom() - 6),
            Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
            f"{len(data['ids'])} tracks. Dots: grey never played to the end; blue, green, orange: played "
            "to the end more often. Warm glow: what you finish or love; blue glow: what you skip. "
            "Hover a dot for the track; double-click it for a radio.",
        )
