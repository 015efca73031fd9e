"""Shared helpers of the playback tests: corpus tracks by file name, and waiting for player events."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from player.store import Store
from player.store.tracks import get_track_by_path

WESNOTH = "wesnoth-1.16-music/games/wesnoth/1.16/data/core/music"


def wesnoth(corpus_dir: Path, name: str) -> Path:
    return corpus_dir / WESNOTH / name


def track(store: Store, corpus_dir: Path, name: str) -> dict[str, Any]:
    """The tracks row of a Wesnoth soundtrack file (e.g. "defeat.ogg": 8.5 s)."""
    row = get_track_by_path(store, str(wesnoth(corpus_dir, name)))
    assert row is not None, f"{name} is not in the scanned corpus"
    return row


class Recorder:
    """Collects events from any thread; ``wait_for`` blocks until one matches (generous timeouts)."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, event: Any) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Any], bool], timeout: float = 30.0, count: int = 1) -> list[Any]:
        with self._cond:
            ok = self._cond.wait_for(lambda: len([e for e in self.events if predicate(e)]) >= count, timeout)
            found = [e for e in self.events if predicate(e)]
        assert ok, f"timed out waiting for an event; got {[type(e).__name__ for e in self.events]}"
        return found

    def of(self, kind: type) -> list[Any]:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind)]

    def kinds(self, *, skip: tuple[type, ...] = ()) -> list[str]:
        with self._cond:
            return [type(e).__name__ for e in self.events if not isinstance(e, skip)]


def landed_at(wav: Path, source: Path, near: float, window: tuple[float, float] = (-3.0, 10.0)) -> float:
    """Where in ``source`` the audio of ``wav`` (libvlc's ``afile`` output) first plays from ``near``.

    The WAV is cut into 0.1 s chunks; each is located in the decoded source between ``near +
    window[0]`` and ``near + window[1]`` by normalised cross-correlation, and the first chunk that
    matches there gives the answer, to within a chunk (a chunk that straddles a seek matches nowhere).
    libvlc decodes the same samples as soundfile, so a true match scores ~1.0, while audio from
    elsewhere in the file (before a seek) scored up to 0.93 on similar-sounding bars: hence > 0.99.
    """
    import numpy as np
    import soundfile as sf

    out, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    out = out.mean(axis=1)
    lo = max(0, int((near + window[0]) * rate))
    src, src_rate = sf.read(
        str(source), start=lo, stop=int((near + window[1]) * rate), dtype="float32", always_2d=True
    )
    assert src_rate == rate, "afile output is resampled: compare at the source rate"
    src = src.mean(axis=1)
    step = rate // 10
    n = len(src) + step
    spectrum = np.fft.rfft(src, n)
    energy = np.concatenate([[0.0], np.cumsum(src.astype(np.float64) ** 2)])
    norm = np.sqrt(energy[step:] - energy[:-step]) + 1e-9
    for i in range(0, len(out) - step, step):
        chunk = out[i : i + step]
        if np.abs(chunk).max() < 1e-3:
            continue
        corr = np.fft.irfft(spectrum * np.conj(np.fft.rfft(chunk, n)), n)[: len(src) - step + 1]
        score = corr / (norm[: len(corr)] * np.sqrt(float(np.sum(chunk.astype(np.float64) ** 2))))
        k = int(np.argmax(score))
        if score[k] > 0.99:
            return (lo + k) / rate
    raise AssertionError(f"no audio of {source.name} near {near} s in {wav}")
