"""Exports the PyTorch MSD_musicnn (resources/musicnn/msd_musicnn.pt) to ONNX for ONNX Runtime, and proves it.

    .venv/bin/python scripts/export_musicnn_onnx.py [--corpus DIR] [--out resources/musicnn/msd_musicnn.onnx]

1. Loads the checked .pt weights into ``recommender.audio.model.MusiCNN`` (eval mode).
2. Exports ``forward`` (patches [batch, frames, 96] -> tags [batch, 50], penultimate [batch, 200]) with
   ``torch.onnx.export`` (TorchScript exporter, opset 17, batch and frame count dynamic). Needs the
   ``onnx`` package at export time only (``pip install onnx``); Encore loads the file with onnxruntime.
3. Runs both on the real patches ``analyze`` would feed from four corpus tracks and fails unless the
   tag probabilities agree within 1e-4 (and the top-5 tags are the same).
4. Stamps the file's SHA-256 into ``ONNX_SHA256`` in recommender/audio/weights.py (checked at load).

Rerunning with the same torch and onnx versions reproduces the file byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommender.audio.engine import ONNX_PATH  # noqa: E402
from recommender.audio.model import load_model  # noqa: E402

VERSION_PY = ROOT / "recommender" / "audio" / "version.py"
PARITY_TRACKS = [
    "wesnoth-1.16-music/games/wesnoth/1.16/data/core/music/battle-epic.ogg",
    "fretsonfire-songs-muldjord/games/fretsonfire/data/songs/muldjord/chaos_god/song.ogg",
    "hyperrogue-music/hyperrogue/music/hr3-caves.ogg",
    "drascula-music/scummvm/drascula/audio/track5.ogg",
]
TOLERANCE = 1e-4


class _Forward(torch.nn.Module):
    """``MusiCNN.forward`` as a plain module (the export traces this)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, patches: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model(patches)


def export(out: Path) -> None:
    model = load_model("cpu")
    example = torch.zeros(2, 187, 96)
    torch.onnx.export(
        _Forward(model),
        (example,),
        str(out),
        dynamo=False,
        opset_version=17,
        input_names=["patches"],
        output_names=["tags", "penultimate"],
        dynamic_axes={
            "patches": {0: "batch", 1: "frames"},
            "tags": {0: "batch"},
            "penultimate": {0: "batch"},
        },
        do_constant_folding=True,
    )


def check_parity(out: Path, corpus: Path) -> float:
    import onnxruntime as ort

    from recommender.audio.analyze import prepare_track

    patches = []
    for rel in PARITY_TRACKS:
        prepared = prepare_track(0, str(corpus / rel))
        if prepared.error:
            raise SystemExit(f"{rel}: {prepared.error}")
        patches.append(prepared.patches)
    x = np.concatenate(patches)
    with torch.inference_mode():
        tags_torch, _ = load_model("cpu")(torch.from_numpy(x))
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    tags_onnx, _ = session.run(None, {"patches": x})
    diff = float(np.abs(tags_onnx - tags_torch.numpy()).max())
    top_t = np.argsort(-tags_torch.numpy(), axis=1)[:, :5]
    top_o = np.argsort(-tags_onnx, axis=1)[:, :5]
    if diff > TOLERANCE or not (top_t == top_o).all():
        raise SystemExit(f"ONNX export disagrees with PyTorch: max |dtags| {diff:.2e} on {len(x)} patches")
    print(f"parity on {len(x)} patches of {len(PARITY_TRACKS)} corpus tracks: max |dtags| {diff:.2e}")
    return diff


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("ENCORE_CORPUS", Path.home() / ".cache/encore/corpus")),
    )
    parser.add_argument("--out", type=Path, default=ONNX_PATH)
    args = parser.parse_args()
    export(args.out)
    check_parity(args.out, args.corpus)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    if args.out == ONNX_PATH:
        text = VERSION_PY.read_text()
        text = re.sub(r'ONNX_SHA256 = "[0-9a-f]*"', f'ONNX_SHA256 = "{digest}"', text)
        VERSION_PY.write_text(text)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
