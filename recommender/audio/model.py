"""MSD_musicnn (Pons & Serra 2019) re-implemented in PyTorch, with weights converted from the original.

The network maps 3-s patches of 96-band log-mel spectrograms (16 kHz, 512-sample window, hop 256,
187 frames) to 50 Last.fm tag probabilities; its 200-unit penultimate layer is Encore's audio embedding.
Layer for layer it follows ``musicnn/models.py`` (build_musicnn with num_filt_midend=64,
num_units_backend=200), so the state dict converted by ``scripts/convert_musicnn.py`` maps one to one
onto TensorFlow variables. What parity depends on: TF batch-norm epsilon 1e-3, TF "same" padding for
the even-sized temporal kernels (more padding after than before), and the back-end flattening max and
mean pools interleaved per feature ([max0, mean0, max1, mean1, ...]).

No TensorFlow at runtime: weights load from ``resources/musicnn/msd_musicnn.pt`` with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from recommender.audio.weights import RESOURCES, WEIGHTS_SHA256, ModelError, read_model_file

WEIGHTS_PATH = RESOURCES / "msd_musicnn.pt"
TAGS_PATH = RESOURCES / "msd_tags.json"

N_MELS = 96
N_FRAMES = 187
N_TAGS = 50
EMBEDDING_DIM = 200
BN_EPS = 1e-3  # TensorFlow's default; PyTorch's 1e-5 shifts outputs by ~1e-4


def _bn(channels: int) -> nn.BatchNorm1d:
    return nn.BatchNorm1d(channels, eps=BN_EPS)


def _relu_bn_maxpool(z: torch.Tensor, bn: nn.BatchNorm2d) -> torch.Tensor:
    """``max_F(BN(ReLU(z)))`` [B, C, T] for z [B, C, T, F], pooling before the per-channel affine.

    ReLU and an affine map with positive scale are monotone, so they commute with the max; channels
    whose BN scale is negative take the min instead. In eval mode this equals the original layer order
    (up to float rounding) while touching the large [B, C, T, F] map once instead of three times:
    about a third of the CPU time of a forward pass.
    """
    if bn.training:
        return bn(F.relu(z)).amax(dim=3)
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias - bn.running_mean * scale
    zmin, zmax = torch.aminmax(z, dim=3)
    positive = (scale >= 0)[None, :, None]
    pooled = F.relu(torch.where(positive, zmax, zmin))
    return pooled * scale[None, :, None] + shift[None, :, None]


class _TimbralBlock(nn.Module):
    """Conv over (7 frames x a fraction of the mel bands), ReLU, BN, max over frequency."""

    def __init__(self, filters: int, freq_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, filters, kernel_size=(7, freq_size))
        self.bn = nn.BatchNorm2d(filters, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, 1, T + 6, F] (time already padded)
        return _relu_bn_maxpool(self.conv(x), self.bn)  # [B, C, T]


class _TemporalBlock(nn.Module):
    """Conv over (k frames x 1 band) with TF 'same' padding, ReLU, BN, max over frequency."""

    def __init__(self, filters: int, time_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, filters, kernel_size=(time_size, 1))
        self.bn = nn.BatchNorm2d(filters, eps=BN_EPS)
        total = time_size - 1
        self.pad = (0, 0, total // 2, total - total // 2)  # TF puts the odd extra frame after

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, 1, T, F]
        return _relu_bn_maxpool(self.conv(F.pad(x, self.pad)), self.bn)


@dataclass
class MusicnnOutput:
    """Per-patch outputs: tag probabilities [B, 50], penultimate [B, 200], mid-end pools [B, 753]."""

    tags: torch.Tensor
    penultimate: torch.Tensor
    mean_pool: torch.Tensor
    max_pool: torch.Tensor


class MusiCNN(nn.Module):
    """MSD_musicnn: musically motivated front-end, dense residual mid-end, global-pool back-end."""

    def __init__(self, n_mels: int = N_MELS, midend_filters: int = 64, backend_units: int = 200) -> None:
        super().__init__()
        self.input_bn = nn.BatchNorm2d(1, eps=BN_EPS)
        timbral_filters = int(1.6 * 128)
        temporal_filters = int(1.6 * 32)
        self.timbral74 = _TimbralBlock(timbral_filters, int(0.4 * n_mels))
        self.timbral77 = _TimbralBlock(timbral_filters, int(0.7 * n_mels))
        self.temporal128 = _TemporalBlock(temporal_filters, 128)
        self.temporal64 = _TemporalBlock(temporal_filters, 64)
        self.temporal32 = _TemporalBlock(temporal_filters, 32)
        front = 2 * timbral_filters + 3 * temporal_filters  # 561
        self.mid1 = nn.Conv1d(front, midend_filters, 7, padding=3)
        self.mid1_bn = _bn(midend_filters)
        self.mid2 = nn.Conv1d(midend_filters, midend_filters, 7, padding=3)
        self.mid2_bn = _bn(midend_filters)
        self.mid3 = nn.Conv1d(midend_filters, midend_filters, 7, padding=3)
        self.mid3_bn = _bn(midend_filters)
        pooled = 2 * (front + 3 * midend_filters)  # 1506
        self.pool_bn = _bn(pooled)
        self.dense = nn.Linear(pooled, backend_units)
        self.dense_bn = _bn(backend_units)
        self.out = nn.Linear(backend_units, N_TAGS)

    def features(self, x: torch.Tensor) -> MusicnnOutput:
        """x: log-compressed mel patches [B, 187, 96] (see ``features.log_compress``)."""
        x = self.input_bn(x.unsqueeze(1))  # [B, 1, T, F]
        padded = F.pad(x, (0, 0, 3, 3))
        front = torch.cat(
            [
                self.timbral74(padded),
                self.timbral77(padded),
                self.temporal128(x),
                self.temporal64(x),
                self.temporal32(x),
            ],
            dim=1,
        )  # [B, 561, T]
        m1 = self.mid1_bn(F.relu(self.mid1(front)))
        m2 = self.mid2_bn(F.relu(self.mid2(m1))) + m1
        m3 = self.mid3_bn(F.relu(self.mid3(m2))) + m2
        mid = torch.cat([front, m1, m2, m3], dim=1)  # [B, 753, T]
        max_pool = mid.amax(dim=2)
        mean_pool = mid.mean(dim=2)
        flat = torch.stack([max_pool, mean_pool], dim=2).flatten(1)  # TF order: interleaved per feature
        penultimate = self.dense_bn(F.relu(self.dense(self.pool_bn(flat))))
        tags = torch.sigmoid(self.out(penultimate))
        return MusicnnOutput(tags=tags, penultimate=penultimate, mean_pool=mean_pool, max_pool=max_pool)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.features(x)
        return out.tags, out.penultimate


def weights_path() -> Path:
    """``$ENCORE_MUSICNN_WEIGHTS`` if set (held to the same hash), else the shipped weights."""
    env = os.environ.get("ENCORE_MUSICNN_WEIGHTS")
    return Path(env).expanduser() if env else WEIGHTS_PATH


def load_model(device: str | torch.device = "cpu", weights: Path | None = None) -> MusiCNN:
    """The converted MSD_musicnn in eval mode, checked against the weights hash in ``version.py``
    (a ``ModelError`` otherwise: analysis is then off, with that message)."""
    checked = weights is None or weights == WEIGHTS_PATH
    weights = weights_path() if weights is None else weights
    off = "audio analysis is off until it is restored"
    # Read once, a regular file of bounded size (never /dev/zero or a FIFO); the bytes that were hashed
    # are the bytes that load, so the file cannot be swapped in between.
    data = read_model_file(weights, "CNN weights", off)
    if checked and hashlib.sha256(data).hexdigest() != WEIGHTS_SHA256:
        raise ModelError(
            f"{weights} does not match WEIGHTS_SHA256 in recommender/audio/weights.py (damaged or "
            f"tampered with); {off}: rebuild it with scripts/convert_musicnn.py (see resources/musicnn/README.md)"
        )
    model = MusiCNN()
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # an unpickling refusal, a shape mismatch: never half-loaded weights
        raise ModelError(f"cannot load the CNN weights {weights} ({type(exc).__name__}); {off}") from exc
    return model.eval().to(device)


@lru_cache(maxsize=1)
def tag_names() -> tuple[str, ...]:
    """The 50 MSD tags in output order (the original's ``MSD_LABELS``)."""
    names = json.loads(TAGS_PATH.read_text(encoding="utf-8"))
    return tuple(names)
