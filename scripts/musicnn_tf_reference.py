"""Runs INSIDE the throwaway TensorFlow venv (never imported by Encore): dumps the MSD_musicnn weights
and the original graph's outputs on a few real tracks, for ``scripts/convert_musicnn.py``.

Usage (done for you by convert_musicnn.py):
    TF_USE_LEGACY_KERAS=1 TFENV/bin/python scripts/musicnn_tf_reference.py OUT_DIR TRACK [TRACK...]

Writes OUT_DIR/weights.npz (model variables, Adam slots dropped), OUT_DIR/reference.npz (per patch:
float16 mel input, tag probabilities, penultimate, mid-end mean/max pools from the original graph) and
OUT_DIR/labels.json (``musicnn.configuration.MSD_LABELS``).

The preprocessing is the original ``musicnn.extractor.batch_data`` with the two fixes the model needs on
today's libraries: librosa >= 0.10 pads STFT edges with zeros where training used reflect padding, and
NumPy 2 keeps ``float16 * 10000`` in float16 (overflow -> NaN) where NumPy 1 computed it in float32.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import librosa  # noqa: E402
import musicnn  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from musicnn import configuration as config  # noqa: E402
from musicnn import models  # noqa: E402

tf.compat.v1.disable_eager_execution()

MODEL = "MSD_musicnn"
N_FRAMES = 187
PATCHES_PER_TRACK = 2


def mel16(path: str) -> np.ndarray:
    """The float16 mel spectrogram [frames, 96] exactly as musicnn's batch_data computed it in training."""
    audio, sr = librosa.load(path, sr=config.SR)
    mel = librosa.feature.melspectrogram(
        y=audio,
        sr=sr,
        hop_length=config.FFT_HOP,
        n_fft=config.FFT_SIZE,
        n_mels=config.N_MELS,
        pad_mode="reflect",
    ).T
    return mel.astype(np.float16)


def main() -> int:
    out = Path(sys.argv[1])
    tracks = sys.argv[2:]
    out.mkdir(parents=True, exist_ok=True)
    ckpt = os.path.join(os.path.dirname(musicnn.__file__), MODEL) + "/"

    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, config.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        y, _timbral, _temporal, _c1, _c2, _c3, mean_pool, max_pool, penultimate = models.define_model(
            x, is_training, MODEL, len(config.MSD_LABELS)
        )
        probs = tf.nn.sigmoid(y)
    sess = tf.compat.v1.Session()
    sess.run(tf.compat.v1.global_variables_initializer())
    tf.compat.v1.train.Saver().restore(sess, ckpt)

    weights = {
        v.name.split(":")[0]: sess.run(v)
        for v in tf.compat.v1.global_variables()
        if "Adam" not in v.name and "power" not in v.name
    }
    np.savez(out / "weights.npz", **weights)

    mels, track_index, starts = [], [], []
    for i, path in enumerate(tracks):
        spec = mel16(path)
        n_patches = spec.shape[0] // N_FRAMES
        first = max(0, n_patches // 2 - PATCHES_PER_TRACK // 2)
        for p in range(first, min(n_patches, first + PATCHES_PER_TRACK)):
            mels.append(spec[p * N_FRAMES : (p + 1) * N_FRAMES])
            track_index.append(i)
            starts.append(p * N_FRAMES)
    mel = np.stack(mels)
    net_input = np.log10(10000 * mel.astype(np.float32) + 1)
    # One patch per run, as the original extractor does (BATCH_SIZE = 1).
    results = [
        sess.run([probs, penultimate, mean_pool, max_pool], {x: net_input[i : i + 1], is_training: False})
        for i in range(len(net_input))
    ]
    tags, pen, meanp, maxp = (np.concatenate([r[k] for r in results]) for k in range(4))
    np.savez(
        out / "reference.npz",
        mel16=mel,
        track_index=np.asarray(track_index, dtype=np.int64),
        start_frame=np.asarray(starts, dtype=np.int64),
        tags=tags.astype(np.float32),
        penultimate=pen.astype(np.float32),
        mean_pool=np.squeeze(meanp).astype(np.float32),
        max_pool=np.squeeze(maxp).astype(np.float32),
    )
    (out / "labels.json").write_text(json.dumps(config.MSD_LABELS))
    print(f"reference: {len(net_input)} patches from {len(tracks)} tracks, {len(weights)} variables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
