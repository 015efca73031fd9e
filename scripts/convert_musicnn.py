"""Converts the MSD_musicnn TensorFlow 1 checkpoint into Encore's PyTorch state dict, and proves it.

Rerunnable end to end (see resources/musicnn/README.md):
    .venv/bin/python scripts/convert_musicnn.py [--tfenv /tmp/encore-tfenv] [--corpus DIR]

1. Creates (or reuses) a throwaway venv OUTSIDE the repo with tensorflow-cpu + tf-keras 2.21 and
   ``musicnn==0.1.0`` installed without its obsolete requirements (TF 1, numpy < 1.17).
2. Runs scripts/musicnn_tf_reference.py in it: the original musicnn graph restored from the wheel's
   checkpoint dumps its weights and its outputs on a few real corpus tracks.
3. Maps the weights onto ``recommender.audio.model.MusiCNN``, writes resources/musicnn/msd_musicnn.pt
   and msd_tags.json, stamps the weights' SHA-256 into recommender/audio/weights.py, and writes the
   parity fixture tests/fixtures/musicnn_parity.npz (float16 mel inputs + the original's outputs).
4. Fails unless the PyTorch model reproduces the original within 1e-4 on tag probabilities.

Encore itself never needs TensorFlow; only this script does, and only in that throwaway venv.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommender.audio.features import log_compress  # noqa: E402
from recommender.audio.model import TAGS_PATH, WEIGHTS_PATH, MusiCNN  # noqa: E402
from recommender.audio.weights import file_sha256  # noqa: E402

TF_PACKAGES = ["tensorflow-cpu==2.21.0", "tf-keras==2.21.0", "librosa==0.11.0", "soundfile"]
MUSICNN = "musicnn==0.1.0"
FIXTURE = ROOT / "tests" / "fixtures" / "musicnn_parity.npz"
VERSION_PY = ROOT / "recommender" / "audio" / "version.py"
# One track per corpus style, two mid-track patches each (see musicnn_tf_reference.py).
FIXTURE_TRACKS = [
    "wesnoth-1.16-music/games/wesnoth/1.16/data/core/music/battle-epic.ogg",
    "fretsonfire-songs-muldjord/games/fretsonfire/data/songs/muldjord/chaos_god/song.ogg",
    "hyperrogue-music/hyperrogue/music/hr3-caves.ogg",
    "drascula-music/scummvm/drascula/audio/track5.ogg",
]
TOLERANCE = 1e-4

# TensorFlow variable scope -> PyTorch module, in the order build_musicnn creates them.
CONV_MAP = {
    "conv2d": "timbral74.conv",
    "conv2d_1": "timbral77.conv",
    "conv2d_2": "temporal128.conv",
    "conv2d_3": "temporal64.conv",
    "conv2d_4": "temporal32.conv",
    "conv2d_5": "mid1",
    "conv2d_6": "mid2",
    "conv2d_7": "mid3",
    "dense": "dense",
    "dense_1": "out",
}
BN_MAP = {
    "batch_normalization": "input_bn",
    "batch_normalization_1": "timbral74.bn",
    "batch_normalization_2": "timbral77.bn",
    "batch_normalization_3": "temporal128.bn",
    "batch_normalization_4": "temporal64.bn",
    "batch_normalization_5": "temporal32.bn",
    "batch_normalization_6": "mid1_bn",
    "batch_normalization_7": "mid2_bn",
    "batch_normalization_8": "mid3_bn",
    "batch_normalization_9": "pool_bn",
    "batch_normalization_10": "dense_bn",
}


def ensure_tfenv(tfenv: Path) -> Path:
    python = tfenv / "bin" / "python"
    if not python.exists():
        print(f"creating the throwaway TensorFlow venv {tfenv} (a few minutes)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(tfenv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *TF_PACKAGES], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", MUSICNN], check=True)
    return python


def tf_to_torch(weights: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Re-lay the TF tensors out for PyTorch (HWIO kernels -> OIHW, dense [in, out] -> [out, in])."""
    state: dict[str, torch.Tensor] = {}
    for tf_name, module in CONV_MAP.items():
        kernel = weights[f"{tf_name}/kernel"]
        if kernel.ndim == 2:  # dense
            w = kernel.T
        elif module.startswith("mid"):  # [7, C_in, 1, C_out] conv2d over the whole width == conv1d
            w = kernel[:, :, 0, :].transpose(2, 1, 0)
        else:  # [kh, kw, 1, C_out] -> [C_out, 1, kh, kw]
            w = kernel.transpose(3, 2, 0, 1)
        state[f"{module}.weight"] = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
        state[f"{module}.bias"] = torch.from_numpy(weights[f"{tf_name}/bias"].astype(np.float32))
    for tf_name, module in BN_MAP.items():
        for tf_key, pt_key in (
            ("gamma", "weight"),
            ("beta", "bias"),
            ("moving_mean", "running_mean"),
            ("moving_variance", "running_var"),
        ):
            state[f"{module}.{pt_key}"] = torch.from_numpy(weights[f"{tf_name}/{tf_key}"].astype(np.float32))
        state[f"{module}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    used = {f"{n}/{k}" for n in CONV_MAP for k in ("kernel", "bias")} | {
        f"{n}/{k}" for n in BN_MAP for k in ("gamma", "beta", "moving_mean", "moving_variance")
    }
    if set(weights) != used:
        raise SystemExit(f"unexpected checkpoint variables: {sorted(set(weights) ^ used)}")
    return state


def stamp_version(sha: str) -> None:
    text = VERSION_PY.read_text(encoding="utf-8")
    new = re.sub(r"^WEIGHTS_SHA256 = .*$", f'WEIGHTS_SHA256 = "{sha}"', text, count=1, flags=re.M)
    VERSION_PY.write_text(new, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tfenv", type=Path, default=Path(tempfile.gettempdir()) / "encore-tfenv")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("ENCORE_CORPUS", Path.home() / ".cache/encore/corpus")),
    )
    args = parser.parse_args()
    tracks = [args.corpus / rel for rel in FIXTURE_TRACKS]
    missing = [str(t) for t in tracks if not t.exists()]
    if missing:
        raise SystemExit(f"corpus tracks missing (run scripts/fetch_corpus.sh): {missing}")

    python = ensure_tfenv(args.tfenv)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
        subprocess.run(
            [str(python), str(ROOT / "scripts" / "musicnn_tf_reference.py"), tmp, *map(str, tracks)],
            check=True,
            env=env,
        )
        with np.load(Path(tmp) / "weights.npz", allow_pickle=False) as z:
            weights = {k: z[k] for k in z.files}
        with np.load(Path(tmp) / "reference.npz", allow_pickle=False) as z:
            ref = {k: z[k] for k in z.files}
        labels = json.loads((Path(tmp) / "labels.json").read_text())

    state = tf_to_torch(weights)
    model = MusiCNN()
    model.load_state_dict(state)
    model.eval()
    with torch.inference_mode():
        out = model.features(torch.from_numpy(log_compress(ref["mel16"])))
    diffs = {
        "tags": float(np.abs(out.tags.numpy() - ref["tags"]).max()),
        "penultimate": float(np.abs(out.penultimate.numpy() - ref["penultimate"]).max()),
        "mean_pool": float(np.abs(out.mean_pool.numpy() - ref["mean_pool"]).max()),
        "max_pool": float(np.abs(out.max_pool.numpy() - ref["max_pool"]).max()),
    }
    print("max abs diff PyTorch vs original TF:", ", ".join(f"{k} {v:.2e}" for k, v in diffs.items()))
    if diffs["tags"] > TOLERANCE or not np.isfinite(ref["tags"]).all():
        raise SystemExit(f"parity FAILED (tolerance {TOLERANCE})")

    WEIGHTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, WEIGHTS_PATH)
    TAGS_PATH.write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    sha = file_sha256(WEIGHTS_PATH)
    stamp_version(sha)
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        FIXTURE,
        tracks=np.asarray(FIXTURE_TRACKS),
        mel16=ref["mel16"],
        track_index=ref["track_index"],
        start_frame=ref["start_frame"],
        tags=ref["tags"],
        penultimate=ref["penultimate"],
    )
    n_params = sum(v.numel() for k, v in state.items() if not k.endswith("num_batches_tracked"))
    print(
        f"wrote {WEIGHTS_PATH.relative_to(ROOT)} ({WEIGHTS_PATH.stat().st_size / 1e6:.2f} MB, {n_params} values,"
        f" sha256 {sha[:12]}), {TAGS_PATH.relative_to(ROOT)}, {FIXTURE.relative_to(ROOT)}"
        f" ({FIXTURE.stat().st_size / 1e3:.0f} kB, {len(ref['tags'])} patches)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
