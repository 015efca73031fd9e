"""The worker side of ``analyze``: decode a track's windows and compute its network input and descriptors.

Runs in spawn-started worker processes (see ``workers.py``) that import only numpy, soundfile, soxr and
scipy: never torch or onnxruntime. One call per track returns a ``PreparedTrack`` (patches + tempo,
loudness, brightness, energy) or the error a bad file caused; nothing a file can do raises out of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from player.process_pool import worker_signals
from recommender.audio import features as fx
from recommender.audio import worker_guard as guard
from recommender.audio.decode import DecodeError, decode_windows

JobArgs = tuple[int, str, int, int, bool, float | None]


@dataclass
class PreparedTrack:
    """What a worker hands back: network input and descriptors, or an error message."""

    track_id: int
    patches: np.ndarray | None = None  # [k, 187, 96] float32, log-compressed
    tempo: float | None = None
    loudness: float | None = None
    brightness: float | None = None
    energy: float | None = None
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # decode / features (/ cnn) CPU seconds
    # Set instead of ``patches`` by a worker that runs the CNN itself (see ``_init_worker``).
    penultimate: np.ndarray | None = None  # [k, 200]
    tag_probs: np.ndarray | None = None  # [k, 50]


def prepare_track(
    track_id: int,
    path: str,
    windows: int = 6,
    patches_per_window: int = 1,
    full: bool = False,
    expected_duration: float | None = None,
) -> PreparedTrack:
    """Decode the windows of one file and compute its patches and descriptors (runs in a worker).

    ``full`` analyses every non-overlapping patch of the whole file (the reference in benchmarks).
    ``expected_duration`` (from the scan) catches files truncated since: if less than half of it
    decodes, the track is reported as an error rather than analysed from a fragment.
    Never raises for a bad file: the error comes back in ``PreparedTrack.error``.
    """
    t0 = time.process_time()  # CPU seconds of this worker: meaningful even on a busy machine
    try:
        if full:
            from recommender.audio.decode import DecodedWindows, decode_full

            audio, duration = decode_full(path)
            decoded = DecodedWindows(windows=[audio], duration=duration)
        else:
            decoded = decode_windows(path, windows, patches_per_window, expected_duration=expected_duration)
    except DecodeError as exc:
        return PreparedTrack(track_id, error=f"decode: {exc}")
    except Exception as exc:  # a worker must survive anything one file can do
        return PreparedTrack(track_id, error=f"decode: {type(exc).__name__}: {exc}")
    if (
        expected_duration
        and decoded.duration < 0.5 * expected_duration
        and expected_duration - decoded.duration > 5
    ):
        return PreparedTrack(
            track_id,
            error=f"decode: truncated: {decoded.duration:.1f} s of audio where the scan found "
            f"{expected_duration:.1f} s (rescan if the file was replaced)",
        )
    t1 = time.process_time()
    try:
        prepared = _features(track_id, decoded)
    except Exception as exc:
        return PreparedTrack(track_id, error=f"features: {type(exc).__name__}: {exc}")
    prepared.seconds = {"decode": t1 - t0, "features": time.process_time() - t1}
    return prepared


def _features(track_id: int, decoded: Any) -> PreparedTrack:
    all_patches, envelopes, powers = [], [], []
    for audio in decoded.windows:
        if len(audio) < fx.PATCH_SAMPLES:  # musicnn's "repeat-pad" for clips shorter than a patch
            if not len(audio):
                continue
            audio = np.tile(audio, int(np.ceil(fx.PATCH_SAMPLES / len(audio))))[: fx.PATCH_SAMPLES]
        power = fx.power_spectrogram(audio)
        mel = fx.mel_from_power(power)
        all_patches.append(fx.patches(fx.log_compress(mel)))
        envelopes.append(fx.onset_envelope(mel))
        powers.append(power)
    patches = np.concatenate(all_patches) if all_patches else np.zeros((0, fx.PATCH_FRAMES, fx.N_MELS))
    if len(patches) == 0:
        return PreparedTrack(track_id, error="features: no audio")
    if not np.isfinite(patches).all():
        return PreparedTrack(track_id, error="features: non-finite samples")
    flux = np.concatenate(envelopes) if envelopes else np.zeros(0)
    loudness_windows = decoded.native or [w[:, None] for w in decoded.windows]
    loudness = fx.integrated_loudness(loudness_windows, decoded.native_sr if decoded.native else fx.SR)
    silent = loudness is None  # every block under -70 LUFS: no tempo or timbre to speak of
    return PreparedTrack(
        track_id,
        patches=patches.astype(np.float32),
        tempo=None if silent else fx.estimate_tempo(envelopes),
        loudness=loudness,
        brightness=None if silent else fx.spectral_centroid(np.concatenate(powers)),
        energy=0.0 if silent else (float(flux.mean()) if len(flux) else None),
    )


def _prepare_job(job: JobArgs) -> PreparedTrack:
    return prepare_track(*job)


#: The CNN of a worker that runs it itself (``_init_worker(cnn_threads > 0)``), else None.
_ENGINE: Any = None


def _prepare_guarded(job: JobArgs) -> PreparedTrack:
    """``_prepare_job`` in a worker, under the wall-clock budget of ``worker_guard``; then, in a worker
    that holds the CNN, the network too (outside the budget: its input has a fixed, small size), so
    only 250 numbers per patch travel back instead of the 18,000 of the patch."""
    guard.start_budget(guard.decode_budget(job[5]))
    try:
        prepared = prepare_track(*job)
    finally:
        guard.stop_budget()
    if _ENGINE is not None and prepared.patches is not None:
        t = time.process_time()
        prepared.penultimate, prepared.tag_probs = _ENGINE.run(prepared.patches)
        prepared.seconds["cnn"] = time.process_time() - t
        prepared.patches = None
    return prepared


def _init_worker(parent_pid: int | None = None, cnn_threads: int = 0) -> None:
    """Workers leave Ctrl-C to the main process, die with it, keep decoder chatter off the terminal
    and use one BLAS thread each. With ``cnn_threads`` the worker also loads the ONNX Runtime engine
    (hash-checked like in the main process) and runs the CNN on what it prepared."""
    worker_signals()
    guard.die_with_parent(parent_pid)
    guard.contain_stderr()
    # Warm the decoder and feature imports (scipy ≈ 1 s of CPU) outside any file's decode budget.
    import scipy.signal  # noqa: F401  (loudness)
    import soundfile  # noqa: F401
    import soxr  # noqa: F401

    fx.mel_basis()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    if cnn_threads:
        from recommender.audio.engine import load_onnx

        global _ENGINE
        _ENGINE = load_onnx(threads=cnn_threads)
