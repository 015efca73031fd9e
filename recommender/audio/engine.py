"""Which runtime executes MSD_musicnn: ONNX Runtime on the CPU by default, PyTorch for ``--device cuda``.

Both run the same network with the same weights: ``resources/musicnn/msd_musicnn.onnx`` is exported from
``msd_musicnn.pt`` by ``scripts/export_musicnn_onnx.py`` and agrees with the PyTorch model within 1e-6 on
tag probabilities (tests/test_audio_engine.py holds it to 1e-4 and the same top-5 tags on real tracks).
Why two: on the 2-core CPU ONNX Runtime takes about half the CPU time per 3-s patch of PyTorch's
(fused convolution + pooling kernels, no per-op dispatch), and analysis without torch loads faster and
keeps ~200 MB less resident; PyTorch stays for CUDA and as the fallback where onnxruntime is missing.
Stored analyses do not depend on the engine (the stamp names the weights' hash).

Like the .pt weights, the .onnx file is checked against a SHA-256 (``ONNX_SHA256`` in ``weights.py``)
before it is loaded: a damaged or tampered file turns analysis off with a ``ModelError``.
Nothing heavy is imported here at module level: onnxruntime or torch load when an engine is made.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from recommender.audio.weights import ONNX_SHA256, RESOURCES, ModelError, read_model_file

ONNX_PATH = RESOURCES / "msd_musicnn.onnx"
ENGINES = ("auto", "onnx", "torch")
OFF = "audio analysis is off until it is restored"


class Engine(Protocol):
    """Runs the CNN: log-mel patches [k, T, 96] -> (penultimate [k, 200], tag probabilities [k, 50])."""

    name: str
    batch: int

    def run(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class TorchEngine:
    """The PyTorch model (``model.py``) on ``device``."""

    model: Any
    device: str = "cpu"
    batch: int = 2
    name: str = "torch"

    def run(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        pens, tags = [], []
        with torch.inference_mode():
            for i in range(0, len(patches), self.batch):
                x = torch.from_numpy(np.ascontiguousarray(patches[i : i + self.batch], dtype=np.float32))
                out_tags, pen = self.model(x.to(self.device))
                pens.append(pen.float().cpu().numpy())
                tags.append(out_tags.float().cpu().numpy())
        if not pens:
            return np.zeros((0, 200), np.float32), np.zeros((0, 50), np.float32)
        return np.concatenate(pens), np.concatenate(tags)


@dataclass
class OnnxEngine:
    """An ONNX Runtime CPU session over the exported model.

    batch: patches per run. 1 by default: measured on the 2-core machine (one thread), the CPU time per
    patch is the same at 1, 2, 3 and 6 patches per run (18.6-18.8 ms) while peak memory grows from
    119 to 302 MiB (the front-end maps of every patch in the batch are live at once)."""

    session: Any
    batch: int = 1
    name: str = "onnx"
    _outputs: list[str] = field(default_factory=lambda: ["penultimate", "tags"])

    def run(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pens, tags = [], []
        for i in range(0, len(patches), self.batch):
            x = np.ascontiguousarray(patches[i : i + self.batch], dtype=np.float32)
            pen, tag = self.session.run(self._outputs, {"patches": x})
            pens.append(pen)
            tags.append(tag)
        if not pens:
            return np.zeros((0, 200), np.float32), np.zeros((0, 50), np.float32)
        return np.concatenate(pens), np.concatenate(tags)


def onnx_path() -> Path:
    """``$ENCORE_MUSICNN_ONNX`` if set (held to the same hash), else the shipped model."""
    env = os.environ.get("ENCORE_MUSICNN_ONNX")
    return Path(env).expanduser() if env else ONNX_PATH


def onnxruntime_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def choose_engine(device: str = "cpu", engine: str = "auto") -> str:
    """The engine name ``load_engine`` will use.

    auto: ONNX Runtime on the CPU (the faster one, see the module docstring) when it is installed and
    the weights are the shipped ones; PyTorch on a GPU, without onnxruntime, or with custom weights
    (``$ENCORE_MUSICNN_WEIGHTS``: the .onnx is exported from the shipped .pt only).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine != "auto":
        if engine == "onnx" and str(device).startswith("cuda"):
            raise ModelError("--engine onnx runs on the CPU only; use --engine torch with --device cuda")
        return engine
    if str(device).startswith("cuda") or os.environ.get("ENCORE_MUSICNN_WEIGHTS"):
        return "torch"
    return "onnx" if onnxruntime_available() else "torch"


def onnx_session_options(threads: int) -> Any:
    """Session options measured on the 2-core machine (benchmarks/analyze.py, README "Analysis speed").

    One intra-op thread per core the decode workers leave free; sequential execution (the graph is a
    chain, inter-op threads only add wake-ups); full graph optimisation (conv + activation fusion,
    NCHWc layouts). With more than one thread, the pool's workers do not spin while waiting for work:
    spinning burns the core the decode worker needs.
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


def verify_onnx(path: Path | None = None) -> bytes:
    """The bytes of the ONNX model after checking them against ``ONNX_SHA256`` (the shipped path or
    ``$ENCORE_MUSICNN_ONNX``; an explicit other ``path``, e.g. an experiment in a benchmark, is not)."""
    checked = path is None or path == ONNX_PATH
    path = onnx_path() if path is None else path
    data = read_model_file(path, "CNN model", OFF)  # a regular file of bounded size: no /dev/zero, no FIFO
    if checked and hashlib.sha256(data).hexdigest() != ONNX_SHA256:
        raise ModelError(
            f"{path} does not match ONNX_SHA256 in recommender/audio/weights.py (damaged or tampered "
            f"with); {OFF}: rebuild it with scripts/export_musicnn_onnx.py (see resources/musicnn/README.md)"
        )
    return data


def load_onnx(threads: int = 1, batch: int | None = None, path: Path | None = None) -> OnnxEngine:
    """The ONNX Runtime engine over the checked file (see ``verify_onnx``)."""
    data = verify_onnx(path)
    path = onnx_path() if path is None else path
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(
            data, onnx_session_options(threads), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # ORT's own errors (InvalidGraph, Fail...) share no base class
        raise ModelError(f"cannot load the CNN model {path} ({type(exc).__name__}); {OFF}") from exc
    return OnnxEngine(session, batch=batch or 1)


def load_engine(
    device: str = "cpu", engine: str = "auto", threads: int | None = None, batch: int | None = None
) -> Engine:
    """The CNN engine for ``device`` (see ``choose_engine``), using ``threads`` intra-op threads
    (None: every core) and ``batch`` patches per call (None: the engine's measured default)."""
    name = choose_engine(device, engine)
    threads = threads or os.cpu_count() or 1
    if name == "onnx":
        return load_onnx(threads, batch)
    import torch

    from recommender.audio.model import load_model

    if not str(device).startswith("cuda"):
        torch.set_num_threads(threads)
    default_batch = 64 if str(device).startswith("cuda") else 2
    return TorchEngine(load_model(device), device=device, batch=batch or default_batch)
