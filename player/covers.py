"""Finding a track's cover art: the picture embedded in the file, else an image in its folder.

Qt-free so that the UI can call it from a worker thread; it returns encoded image bytes (JPEG/PNG) and
never raises on a bad file (no cover is a normal answer). Folder images are preferred by conventional
name (cover, folder, front, album), then any image in the folder.
"""

from __future__ import annotations

import base64
import os

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")
_PREFERRED_NAMES = ("cover", "folder", "front", "album", "albumart", "albumartsmall")
#: Folder images larger than this are ignored (scans of booklets, not covers).
_MAX_FOLDER_IMAGE = 20 * 1024 * 1024


def embedded_cover(path: str) -> bytes | None:
    """The front cover (or first picture) embedded in ``path``, as encoded bytes."""
    try:
        import mutagen
        from mutagen.flac import Picture

        audio = mutagen.File(path)
    except Exception:
        return None
    if audio is None:
        return None
    pictures: list[tuple[int, bytes]] = []
    try:
        for picture in getattr(audio, "pictures", None) or []:  # FLAC
            pictures.append((picture.type, picture.data))
        tags = audio.tags
        if tags is not None:
            if hasattr(tags, "getall"):  # ID3: APIC frames
                for frame in tags.getall("APIC"):
                    pictures.append((int(frame.type), frame.data))
            elif hasattr(tags, "get"):
                for raw in tags.get("metadata_block_picture", None) or []:  # Vorbis / Opus comments
                    try:
                        picture = Picture(base64.b64decode(raw))
                    except Exception:
                        continue
                    pictures.append((picture.type, picture.data))
                for cover in tags.get("covr", None) or []:  # MP4
                    pictures.append((3, bytes(cover)))
    except Exception:
        return None
    if not pictures:
        return None
    pictures.sort(key=lambda p: p[0] != 3)  # type 3: front cover
    return pictures[0][1] or None


def folder_cover(path: str) -> str | None:
    """The path of the best-named image in the track's folder, if any."""
    folder = os.path.dirname(path)
    try:
        names = [n for n in os.listdir(folder) if n.lower().endswith(_IMAGE_EXTENSIONS)]
    except OSError:
        return None
    if not names:
        return None

    def rank(name: str) -> tuple[int, str]:
        stem = os.path.splitext(name)[0].lower()
        return (_PREFERRED_NAMES.index(stem) if stem in _PREFERRED_NAMES else len(_PREFERRED_NAMES), name)

    for name in sorted(names, key=rank):
        full = os.path.join(folder, name)
        try:
            if os.path.getsize(full) <= _MAX_FOLDER_IMAGE:
                return full
        except OSError:
            continue
    return None


def find_cover(path: str) -> bytes | None:
    """Encoded cover image bytes for ``path``: embedded first, then the folder's image; None if neither."""
    data = embedded_cover(path)
    if data:
        return data
    image = folder_cover(path)
    if image is None:
        return None
    try:
        with open(image, "rb") as handle:
            return handle.read()
    except OSError:
        return None
