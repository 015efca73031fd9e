"""Filling a small real disk (the ``small_disk`` fixture in ``conftest.py``) for ENOSPC tests."""

from __future__ import annotations

from pathlib import Path


def fill_disk(folder: Path) -> Path:
    """Write zeros into ``folder/filler`` until the disk is full, to the last 512-byte block."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        for block in (65536, 512):
            try:
                while True:
                    fh.write(b"\0" * block)
            except OSError:
                pass
    return filler
