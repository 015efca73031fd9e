"""Where the audio model's files are and how they are trusted: resource paths, hashes, ``ModelError``.

Why a module of its own: the PyTorch model (``model.py``) and the engines (``engine.py``) both check
files against these hashes before loading them; with the paths and the error here, neither imports the
other's internals (the engine loads the model, never the reverse). Kept free of heavy imports.

``WEIGHTS_SHA256`` is the converted state dict's hash; the analysis stamp the store writes,
``player.store.analysis.MODEL_VERSION``, names its first 12 hex digits (a test holds them together), so
new weights mean a new stamp and every library is analysed again. ``ONNX_SHA256`` only guards the
exported file that ONNX Runtime loads (the same outputs within 1e-6, so not part of the stamp).

Both files are read through ``read_model_file``: a regular file of at most ``MAX_MODEL_BYTES``, checked
before a byte is read, so a path naming ``/dev/zero`` or a FIFO is a ``ModelError`` at once rather than
a ``MemoryError`` or a hang (``player.files``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from player.files import MIB, read_regular

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "musicnn"

#: The ONNX export of those weights (scripts/export_musicnn_onnx.py); the engine, not the analysis, changes.
ONNX_SHA256 = "a30658febd09895f2931c93e9de4f02e5e2d41b19d83329611b77df283a41ec5"
WEIGHTS_SHA256 = "672c85d65fb7a7bbfc9ec7ec1016236c8c2324745a3c8b05f8583f1b61a3cdac"
#: The largest model file read: the shipped .pt and .onnx are 3.2 MB each; anything far bigger is not them.
MAX_MODEL_BYTES = 64 * MIB


class ModelError(RuntimeError):
    """The CNN weights are missing, damaged or tampered with: audio analysis is off until they are
    restored (everything else works without it)."""

    user_facing = True


def file_sha256(path: Path) -> str:
    return hashlib.sha256(read_regular(path, MAX_MODEL_BYTES)).hexdigest()


def read_model_file(path: Path, what: str, off: str) -> bytes:
    """The bytes of a model file (``what``: "CNN weights", "CNN model"), or a ``ModelError`` ending in
    ``off`` when it is missing, unreadable, not a regular file or over ``MAX_MODEL_BYTES``."""
    try:
        return read_regular(path, MAX_MODEL_BYTES)
    except OSError as exc:
        raise ModelError(f"cannot read the {what} {path} ({exc.strerror or exc}); {off}") from exc


# The MSD_musicnn output vocabulary in output order (checked against resources/musicnn/msd_tags.json):
# what the model tags, and what the audio-to-factor bridge (recommender.factors.bridge) reads.
MUSICNN_TAGS: tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul",
    "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies",
    "blues", "hard rock", "ambient", "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop",
    "70s", "party", "country", "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal",
    "Progressive rock", "60s", "rnb", "indie pop", "sad", "House", "happy",
)  # fmt: skip
