"""Signal processing shared by analysis and conversion: musicnn's log-mel input and cheap descriptors.

The model's input must match its training preprocessing (musicnn ``batch_data``): 16 kHz mono, power
mel spectrogram (512-sample Hann window, hop 256, 96 Slaney mel bands), cast to float16, then
``log10(10000 * mel + 1)`` computed in float32. Windows are analysed with ``center=False`` on audio that
already carries the neighbouring samples, so frames equal those of a full-track spectrogram.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187
PATCH_SAMPLES = (PATCH_FRAMES - 1) * HOP + N_FFT  # 48,128 samples = 3.008 s


_F_SP, _MIN_LOG_HZ, _LOGSTEP = 200.0 / 3, 1000.0, np.log(6.4) / 27.0  # Slaney's mel scale
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP


@lru_cache(maxsize=1)
def mel_basis() -> np.ndarray:
    """The 96 Slaney-normalised triangular mel filters over 0-8 kHz [96, 257]: musicnn's training
    filterbank, ``librosa.filters.mel(sr=16000, n_fft=512, n_mels=96)`` computed with librosa's own
    operations in the same order (tests/test_audio_features.py holds it equal to librosa's, bit for
    bit), so that analysis never imports librosa (~0.4 s of CPU per worker start)."""
    fft_freqs = np.fft.rfftfreq(n=N_FFT, d=1.0 / SR)
    max_mel = _MIN_LOG_MEL + np.log((SR / 2) / _MIN_LOG_HZ) / _LOGSTEP
    mels = np.linspace(0.0, max_mel, N_MELS + 2)
    mel_f = 0.0 + _F_SP * mels
    log_t = mels >= _MIN_LOG_MEL
    mel_f[log_t] = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mels[log_t] - _MIN_LOG_MEL))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_freqs)
    weights = np.zeros((N_MELS, 1 + N_FFT // 2), dtype=np.float32)
    for i in range(N_MELS):
        weights[i] = np.maximum(0, np.minimum(-ramps[i] / fdiff[i], ramps[i + 2] / fdiff[i + 1]))
    weights *= (2.0 / (mel_f[2 : N_MELS + 2] - mel_f[:N_MELS]))[:, np.newaxis]
    return weights


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    """The periodic Hann window (``scipy.signal.get_window("hann", 512)``, librosa's STFT window)."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def power_spectrogram(audio: np.ndarray) -> np.ndarray:
    """|STFT|^2 [frames, 257] of 16 kHz mono audio without edge padding (``center=False``)."""
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    n_frames = 1 + (len(audio) - N_FFT) // HOP
    if n_frames <= 0:
        return np.zeros((0, N_FFT // 2 + 1), dtype=np.float32)
    frames = np.lib.stride_tricks.as_strided(
        audio, shape=(n_frames, N_FFT), strides=(audio.strides[0] * HOP, audio.strides[0]), writeable=False
    )
    spec = np.fft.rfft(frames * _window(), axis=1)
    return (spec.real**2 + spec.imag**2).astype(np.float32)


def mel_from_power(power: np.ndarray) -> np.ndarray:
    """Mel power spectrogram [frames, 96] from ``power_spectrogram``."""
    return power @ mel_basis().T


def log_compress(mel: np.ndarray) -> np.ndarray:
    """musicnn's input compression, reproducing NumPy 1: float16 mel, product computed in float32."""
    return np.log10(10000.0 * mel.astype(np.float16).astype(np.float32) + 1.0).astype(np.float32)


def patches(log_mel: np.ndarray) -> np.ndarray:
    """Split [frames, 96] into non-overlapping [n, 187, 96] patches (the remainder is dropped)."""
    n = log_mel.shape[0] // PATCH_FRAMES
    return np.ascontiguousarray(log_mel[: n * PATCH_FRAMES].reshape(n, PATCH_FRAMES, N_MELS))


# --- cheap descriptors for smooth radio transitions -------------------------------------------------


def _k_weighting(sr: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """ITU-R BS.1770 K-weighting (shelf + high-pass) for any sample rate, as libebur128 derives it."""
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sr)
    vh = 10 ** (gain / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = np.array(
        [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    )
    shelf_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sr)
    a0 = 1 + k / q + k * k
    hp_b = np.array([1.0, -2.0, 1.0])
    hp_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return [(shelf_b, shelf_a), (hp_b, hp_a)]


def integrated_loudness(windows: list[np.ndarray], sr: int) -> float | None:
    """Gated integrated loudness (LUFS, BS.1770-4) estimated from the analysed windows.

    Each window ([samples, channels], native rate) is K-weighted and cut into 400 ms blocks with 75 %
    overlap; blocks from all windows then go through the absolute (-70 LUFS) and relative (-10 LU)
    gates as if they came from one programme. None for digital silence.
    """
    import scipy.signal

    block, step = int(0.4 * sr), int(0.1 * sr)
    powers = []
    # Both biquads in one second-order-sections pass: the same filter as two lfilter calls (within
    # 1e-12), in half the CPU time (this was ~40 % of a worker's time per track).
    sos = np.array([np.concatenate([b, a]) for b, a in _k_weighting(sr)])
    for window in windows:
        if len(window) < block:
            continue
        x = scipy.signal.sosfilt(sos, window.astype(np.float64), axis=0)
        energy = np.einsum("ij,ij->i", x, x)  # summed over channels (L, R weigh 1 in BS.1770)
        if block == 4 * step:  # 400 ms blocks = 4 consecutive 100 ms steps: sum those once
            m = len(energy) // step
            sub = energy[: m * step].reshape(m, step).sum(axis=1)
            powers.append((sub[:-3] + sub[1:-2] + sub[2:-1] + sub[3:]) / block)
        else:
            sq = np.concatenate([[0.0], np.cumsum(energy)])
            starts = np.arange(0, len(x) - block + 1, step)
            powers.append((sq[starts + block] - sq[starts]) / block)
    if not powers:
        return None
    z = np.concatenate(powers)
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10 * np.log10(z)
    z = z[lufs > -70]
    if len(z) == 0:
        return None
    threshold = -0.691 + 10 * np.log10(z.mean()) - 10
    with np.errstate(divide="ignore"):
        z = z[-0.691 + 10 * np.log10(z) > threshold]
    return float(-0.691 + 10 * np.log10(z.mean()))


def spectral_centroid(power: np.ndarray) -> float | None:
    """Brightness: the magnitude-weighted mean frequency (Hz, 0-8 kHz) over all analysed frames."""
    mag = np.sqrt(power)
    total = float(mag.sum())
    if total <= 0:
        return None
    freqs = np.arange(power.shape[1], dtype=np.float64) * SR / N_FFT
    return float((mag.sum(axis=0) @ freqs) / total)


def onset_envelope(mel: np.ndarray) -> np.ndarray:
    """Spectral flux [frames - 1]: mean positive change of the dB mel spectrum (librosa's recipe)."""
    db = 10 * np.log10(np.maximum(mel, 1e-10))
    db = np.maximum(db, db.max() - 80.0) if db.size else db
    return np.maximum(0.0, np.diff(db, axis=0)).mean(axis=1)


FRAME_RATE = SR / HOP  # 62.5 frames per second


def estimate_tempo(envelopes: list[np.ndarray], min_bpm: float = 40, max_bpm: float = 240) -> float | None:
    """Tempo (BPM) from the onset envelopes of the windows: summed autocorrelation, weighted by a
    log-normal prior around 120 BPM (as librosa's ``tempo``), with parabolic peak interpolation."""
    lo = int(np.floor(FRAME_RATE * 60 / max_bpm))
    hi = int(np.ceil(FRAME_RATE * 60 / min_bpm))
    acf = np.zeros(hi + 2)
    for env in envelopes:
        if len(env) < hi + 2:
            continue
        e = env - env.mean()
        spec = np.fft.rfft(e, n=2 * len(e))
        full = np.fft.irfft(spec * np.conj(spec))[: hi + 2]
        if full[0] > 0:
            acf += full / full[0]
    if not acf.any():
        return None
    lags = np.arange(lo, hi + 1)
    bpm = 60 * FRAME_RATE / lags
    weighted = acf[lo : hi + 1] * np.exp(-0.5 * np.log2(bpm / 120.0) ** 2)
    i = int(np.argmax(weighted))
    if weighted[i] <= 0:
        return None
    lag = float(lags[i])
    if 0 < i < len(weighted) - 1:
        y0, y1, y2 = weighted[i - 1], weighted[i], weighted[i + 1]
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            lag += 0.5 * (y0 - y2) / denom
    return float(60 * FRAME_RATE / lag)
