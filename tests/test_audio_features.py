"""Descriptors computed by the analysis workers: the fast loudness path equals BS.1770 done plainly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.signal

from recommender.audio import features as fx
from recommender.audio.decode import decode_windows


def _reference_loudness(windows: list[np.ndarray], sr: int) -> float | None:
    """BS.1770-4 written out: two lfilter passes, a cumulative sum per channel, 400 ms blocks."""
    block, step = int(0.4 * sr), int(0.1 * sr)
    powers = []
    for window in windows:
        if len(window) < block:
            continue
        x = window.astype(np.float64)
        for b, a in fx._k_weighting(sr):
            x = scipy.signal.lfilter(b, a, x, axis=0)
        sq = np.cumsum(np.concatenate([np.zeros((1, x.shape[1])), x * x]), axis=0)
        starts = np.arange(0, len(x) - block + 1, step)
        powers.append(((sq[starts + block] - sq[starts]) / block).sum(axis=1))
    if not powers:
        return None
    z = np.concatenate(powers)
    with np.errstate(divide="ignore"):
        z = z[-0.691 + 10 * np.log10(z) > -70]
    if not len(z):
        return None
    gate = -0.691 + 10 * np.log10(z.mean()) - 10
    z = z[-0.691 + 10 * np.log10(z) > gate]
    return float(-0.691 + 10 * np.log10(z.mean()))


def test_loudness_of_real_tracks_equals_the_plain_computation(corpus_files: list[Path]) -> None:
    picked = [f for f in corpus_files if "wesnoth" in str(f)][:3] + [
        f for f in corpus_files if "muldjord" in str(f)
    ][:2]
    for f in picked:
        d = decode_windows(str(f), 6, 1)
        ours = fx.integrated_loudness(d.native, d.native_sr)
        assert ours is not None and abs(ours - _reference_loudness(d.native, d.native_sr)) < 1e-9, f


@pytest.mark.parametrize("sr", [11025, 16000, 22050, 44100, 48000])
def test_loudness_of_a_sine_is_its_level(sr: int) -> None:
    """A 1 kHz stereo sine of amplitude 0.1 reads about -20 LUFS (K-weighting is ~+0.7 dB at 1 kHz,
    cancelling the -0.691 offset); every sample rate, including one whose blocks are not 4 steps."""
    t = np.arange(int(3.2 * sr)) / sr
    sine = 0.1 * np.sin(2 * np.pi * 1000 * t)
    stereo = np.stack([sine, sine], axis=1).astype(np.float32)
    ours = fx.integrated_loudness([stereo, stereo[:sr]], sr)
    assert ours == pytest.approx(-20.0, abs=0.15)
    assert abs(ours - _reference_loudness([stereo, stereo[:sr]], sr)) < 1e-9
    assert fx.integrated_loudness([np.zeros((sr, 2), np.float32)], sr) is None


def test_mel_filterbank_and_window_equal_librosa_and_scipy() -> None:
    """The network's input depends on them bit for bit: they must stay librosa's / scipy's."""
    import librosa

    ref = librosa.filters.mel(sr=fx.SR, n_fft=fx.N_FFT, n_mels=fx.N_MELS).astype(np.float32)
    ours = fx.mel_basis()
    assert ours.shape == ref.shape == (96, 257) and ours.dtype == np.float32
    assert np.array_equal(ours, ref)
    window = scipy.signal.get_window("hann", fx.N_FFT, fftbins=True).astype(np.float32)
    assert np.array_equal(fx._window(), window)
