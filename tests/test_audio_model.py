"""The PyTorch MSD_musicnn reproduces the original TensorFlow model (fixture made by
scripts/convert_musicnn.py from the original graph on real corpus tracks)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from player.store.analysis import MODEL_VERSION
from recommender.audio import features as fx
from recommender.audio.decode import decode_full
from recommender.audio.model import TAGS_PATH, WEIGHTS_PATH, MusiCNN, load_model, tag_names
from recommender.audio.weights import WEIGHTS_SHA256, file_sha256

FIXTURE = Path(__file__).parent / "fixtures" / "musicnn_parity.npz"


def _fixture() -> dict[str, np.ndarray]:
    with np.load(FIXTURE, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_pytorch_model_matches_original_tensorflow_outputs():
    ref = _fixture()
    state = torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True)
    model = MusiCNN()
    model.load_state_dict(state)
    model.eval()
    with torch.inference_mode():
        out = model.features(torch.from_numpy(fx.log_compress(ref["mel16"])))
    assert len(ref["tags"]) >= 8 and len(set(ref["track_index"].tolist())) >= 4
    assert np.abs(out.tags.numpy() - ref["tags"]).max() <= 1e-4
    assert np.abs(out.penultimate.numpy() - ref["penultimate"]).max() <= 1e-3
    top_ours = np.argsort(-out.tags.numpy(), axis=1)[:, :5]
    top_ref = np.argsort(-ref["tags"], axis=1)[:, :5]
    assert (top_ours == top_ref).all()
    assert "tensorflow" not in sys.modules


def test_weights_hash_is_part_of_model_version():
    assert file_sha256(WEIGHTS_PATH) == WEIGHTS_SHA256
    assert WEIGHTS_SHA256[:12] in MODEL_VERSION
    state = load_model().state_dict()
    assert sum(v.numel() for k, v in state.items() if not k.endswith("num_batches_tracked")) == 792_079


def test_tag_list_is_the_original_msd_labels():
    names = tag_names()
    assert len(names) == 50 and names == tuple(json.loads(TAGS_PATH.read_text()))
    assert names[:3] == ("rock", "pop", "alternative") and "heavy metal" in names and names[-1] == "happy"


def test_preprocessing_reproduces_original_spectrogram_and_tags(corpus_dir):
    """Our decode + mel (numpy STFT, center=False) gives the original's network input and tags."""
    ref = _fixture()
    model = load_model()
    for i, rel in enumerate(ref["tracks"]):
        audio, _ = decode_full(str(corpus_dir / str(rel)))
        mel = fx.mel_from_power(fx.power_spectrogram(audio))
        for j in np.flatnonzero(ref["track_index"] == i):
            # center=False frame k is librosa's centred frame k + 1.
            start = int(ref["start_frame"][j]) - 1
            ours = fx.log_compress(mel[start : start + fx.PATCH_FRAMES])
            theirs = fx.log_compress(ref["mel16"][j])
            assert np.abs(ours - theirs).max() < 0.01, rel
            with torch.inference_mode():
                tags, _ = model(torch.from_numpy(ours[None]))
            assert np.abs(tags.numpy()[0] - ref["tags"][j]).max() < 2e-3, rel
