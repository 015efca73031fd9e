"""Cover art: embedded pictures (Vorbis METADATA_BLOCK_PICTURE) and folder images, loaded off the GUI
thread and cached per track."""

from __future__ import annotations

import base64
import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from mutagen.flac import Picture
from mutagen.oggvorbis import OggVorbis
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QImage

from player.covers import find_cover
from ui.covers import CoverCache
from ui.workers import TaskRunner


def _png(colour: str, size: int = 300) -> bytes:
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def test_embedded_cover_then_folder_image(qtbot, tmp_path, corpus_files):
    album = tmp_path / "album"
    album.mkdir()
    embedded, plain = album / "01.ogg", tmp_path / "loose" / "02.ogg"
    plain.parent.mkdir()
    shutil.copy(corpus_files[0], embedded)
    shutil.copy(corpus_files[1], plain)
    picture = Picture()
    picture.type = 3
    picture.mime = "image/png"
    picture.data = _png("#ff0000")
    tags = OggVorbis(embedded)
    tags["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
    tags.save()
    assert find_cover(str(embedded)) == picture.data
    assert find_cover(str(plain)) is None  # no picture, no image in the folder
    (plain.parent / "folder.jpg").write_bytes(b"not an image")
    (plain.parent / "cover.png").write_bytes(_png("#0000ff"))
    assert find_cover(str(plain)) == (plain.parent / "cover.png").read_bytes()  # "cover" beats "folder"

    cache = CoverCache(TaskRunner(), size=64)
    got: list[QImage | None] = []
    cache.request(str(embedded), got.append)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=10_000)
    assert got[0] is not None and got[0].width() == 64
    assert got[0].pixelColor(10, 10) == QColor("#ff0000")
    cache.request(str(embedded), got.append)  # cached: answered at once
    assert len(got) == 2 and got[1] is got[0]
    cache.request(str(plain), got.append)
    qtbot.waitUntil(lambda: len(got) == 3, timeout=10_000)
    assert got[2].pixelColor(5, 5) == QColor("#0000ff")
    # A track without a picture next to one with an embedded picture (a folder of singles) does not
    # borrow its neighbour's cover.
    neighbour = album / "02.ogg"
    shutil.copy(corpus_files[1], neighbour)
    cache.request(str(neighbour), got.append)
    qtbot.waitUntil(lambda: len(got) == 4, timeout=10_000)
    assert got[3] is None
