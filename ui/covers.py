"""Cover art for the now-playing bar: looked up off the GUI thread, decoded to a ``QImage``, cached.

The lookup (``player.covers.find_cover``: embedded picture, else folder image) and the decode and scale
run in the thread pool; only the small scaled image crosses to the GUI thread. Cached per track in a
small LRU: an embedded picture belongs to its file, so a folder of singles must not share one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage

from player.covers import find_cover
from ui.workers import TaskRunner

CACHE_SIZE = 256


def load_cover_image(path: str, size: int) -> QImage | None:
    """Read and decode the cover of ``path`` scaled to ``size`` pixels (runs in a worker thread)."""
    data = find_cover(path)
    if not data:
        return None
    image = QImage.fromData(data)
    if image.isNull():
        return None
    return image.scaled(
        QSize(size, size), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class CoverCache(QObject):
    """``request(path, callback)`` calls ``callback(QImage | None)`` on the GUI thread, from cache or later."""

    loaded = Signal(str, object)  # path, QImage | None

    def __init__(self, runner: TaskRunner, size: int = 128, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.size = size
        self._cache: OrderedDict[str, QImage | None] = OrderedDict()
        self._waiting: dict[str, list[Callable[[QImage | None], None]]] = {}

    @staticmethod
    def key(path: str) -> str:
        return path

    def request(self, path: str, callback: Callable[[QImage | None], None]) -> None:
        key = self.key(path)
        if key in self._cache:
            self._cache.move_to_end(key)
            callback(self._cache[key])
            return
        if key in self._waiting:
            self._waiting[key].append(callback)
            return
        self._waiting[key] = [callback]
        self.runner.start(
            load_cover_image,
            path,
            self.size,
            on_result=lambda image, k=key, p=path: self._done(k, p, image),
            on_error=lambda _msg, k=key, p=path: self._done(k, p, None),
        )

    def _done(self, key: str, path: str, image: QImage | None) -> None:
        self._cache[key] = image
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        for callback in self._waiting.pop(key, []):
            callback(image)
        self.loaded.emit(path, image)
