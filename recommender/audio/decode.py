"""Decoding only the audio that is analysed: a few windows spread over the track, seeking into the file.

libsndfile (soundfile) seeks sample-accurately in Ogg Vorbis, FLAC, WAV, MP3 and Opus, so a 4-minute
track costs ~12 s of decoding instead of 240 s. Formats libsndfile cannot open (AAC/M4A, WMA...) fall
back to one ``ffmpeg -ss`` call per window. Each window is read with a small margin that is resampled
and then cut off, so the kept samples equal those of a whole-file decode-and-resample.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass, field

import numpy as np

from recommender.audio.features import HOP, N_FFT, PATCH_FRAMES, PATCH_SAMPLES, SR

MARGIN_SECONDS = 0.02  # resampler edge effects stay inside the margin


class DecodeError(RuntimeError):
    """The file cannot be decoded (corrupt, truncated, unsupported)."""


@dataclass
class DecodedWindows:
    """16 kHz mono windows (each a whole number of 187-frame patches) plus what loudness needs."""

    windows: list[np.ndarray]
    duration: float  # seconds, of the whole file
    native: list[np.ndarray] = field(default_factory=list)  # [samples, channels] at native_sr
    native_sr: int = SR


def window_samples(patches: int) -> int:
    """16 kHz samples giving exactly ``patches`` non-overlapping 187-frame patches with center=False."""
    return (patches * PATCH_FRAMES - 1) * HOP + N_FFT


def plan_windows(total: int, n_windows: int, patches_per_window: int) -> list[tuple[int, int]]:
    """(start, length) in 16 kHz samples: windows centred on equal slices of the track.

    A track too short for the windows is analysed whole (as many patches as fit); one shorter than a
    patch gives one window that the caller repeat-pads, as musicnn did in training.
    """
    need = window_samples(patches_per_window)
    if total < PATCH_SAMPLES:
        return [(0, total)]
    fit = (total - N_FFT + HOP) // (PATCH_FRAMES * HOP)  # largest k with window_samples(k) <= total
    if fit <= n_windows * patches_per_window:
        return [(0, window_samples(fit))]
    plan = []
    for i in range(n_windows):
        centre = (i + 0.5) * total / n_windows
        start = int(min(max(0, centre - need / 2), total - need))
        plan.append((start, need))
    return plan


def decode_windows(
    path: str, n_windows: int, patches_per_window: int, expected_duration: float | None = None
) -> DecodedWindows:
    """Decode the planned windows of ``path``: soundfile with seeking, else ffmpeg.

    ``expected_duration`` (the scan's, which skips tags): an MP3 without a Xing header whose length
    libsndfile estimates longer (it counts a large ID3 tag, e.g. a cover, as audio) is planned on the
    scanned duration instead, so no window lands past the real end.
    """
    import soundfile as sf

    try:
        f = sf.SoundFile(path)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        if shutil.which("ffmpeg") is None:
            raise DecodeError(f"cannot open: {exc}") from exc
        return _decode_ffmpeg(path, n_windows, patches_per_window, first_error=str(exc))
    with f:
        sr, frames = f.samplerate, f.frames
        if frames <= 0 or sr <= 0:
            raise DecodeError("no audio frames")
        if (
            expected_duration
            and expected_duration > 0
            and f.format == "MP3"
            and frames / sr > 1.05 * expected_duration + 1.0
        ):
            frames = int(expected_duration * sr)
        total16 = int(frames * SR / sr)
        plan = plan_windows(total16, n_windows, patches_per_window)
        margin = int(MARGIN_SECONDS * sr)
        windows, native = [], []
        for start16, length16 in plan:
            start = int(start16 * sr / SR)
            count = int(math.ceil(length16 * sr / SR))
            lo = max(0, start - margin)
            try:
                f.seek(lo)
                chunk = f.read(count + (start - lo) + margin, dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as exc:
                raise DecodeError(f"decode failed at {start / sr:.1f} s: {exc}") from exc
            if len(chunk) < count // 2:
                raise DecodeError(
                    f"truncated: {len(chunk)} samples at {start / sr:.1f} s of {frames / sr:.1f} s"
                )
            native.append(chunk[start - lo : start - lo + count])
            windows.append(_to_16k(chunk.mean(axis=1), sr, offset=start - lo, length=length16))
    return DecodedWindows(windows=windows, duration=frames / sr, native=native, native_sr=sr)


def decode_full(path: str) -> tuple[np.ndarray, float]:
    """The whole file as 16 kHz mono (the reference for windowed-vs-full measurements)."""
    import soundfile as sf

    try:
        audio, sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise DecodeError(str(exc)) from exc
    return _to_16k(audio.mean(axis=1), sr, 0, None), len(audio) / sr


def _to_16k(mono: np.ndarray, sr: int, offset: int, length: int | None) -> np.ndarray:
    import soxr

    audio = mono if sr == SR else soxr.resample(mono, sr, SR, quality="HQ")
    off = int(round(offset * SR / sr))
    out = audio[off:] if length is None else audio[off : off + length]
    if length is not None and len(out) < length:
        out = np.pad(out, (0, length - len(out)))
    return np.ascontiguousarray(out, dtype=np.float32)


def _decode_ffmpeg(path: str, n_windows: int, patches_per_window: int, first_error: str) -> DecodedWindows:
    duration = _ffprobe_duration(path)
    if not duration or duration <= 0:
        raise DecodeError(f"cannot open: {first_error}")
    plan = plan_windows(int(duration * SR), n_windows, patches_per_window)
    windows = []
    for start, length in plan:
        cmd = [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-ss",
            f"{start / SR:.4f}",
            "-i",
            path,
            "-t",
            f"{length / SR:.4f}",
            "-ac",
            "1",
            "-ar",
            str(SR),
            "-f",
            "f32le",
            "-",
        ]
        proc = subprocess.run(cmd, capture_output=True, timeout=120)
        audio = np.frombuffer(proc.stdout, dtype="<f4")
        if proc.returncode != 0 or len(audio) < length // 2:
            raise DecodeError(f"ffmpeg: {proc.stderr.decode(errors='replace').strip()[:200] or first_error}")
        windows.append(np.pad(audio, (0, max(0, length - len(audio))))[:length].astype(np.float32))
    return DecodedWindows(
        windows=windows, duration=duration, native=[w[:, None] for w in windows], native_sr=SR
    )


def _ffprobe_duration(path: str) -> float | None:
    if shutil.which("ffprobe") is None:
        return None
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    try:
        return float(proc.stdout.strip())
    except ValueError:
        return None
