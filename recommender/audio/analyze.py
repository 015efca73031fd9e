"""Audio analysis of the library: windows decoded in worker processes, the CNN batched in this one.

Per track: a few 3-s windows spread over the file are decoded (seeking, never the whole file) and
turned into log-mel patches and cheap descriptors by a worker process; the main process runs
MSD_musicnn on batches of patches from several tracks, pools the outputs per track and commits every
few tracks, so an interrupted run loses at most one batch and the next run resumes where it stopped.

What is stored per track (see ``pool_track``): the embedding (mean of the 200-d penultimate layer over
the patches, see ``EMBEDDING`` for the layout), the mean of the 50 tag probabilities, tempo (BPM),
integrated loudness (LUFS), brightness (spectral centroid, Hz) and energy (mean spectral flux, dB).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.audio.decode import DecodeError
from recommender.audio.prepare import (  # noqa: F401  (re-exported: benchmarks and tests use them)
    JobArgs,
    PreparedTrack,
    _prepare_job,
    prepare_track,
)
from recommender.audio.workers import _run_with_workers  # noqa: F401

if TYPE_CHECKING:
    from player.store import Store
    from recommender.audio.engine import Engine
    from recommender.audio.model import MusiCNN


@dataclass(frozen=True)
class AnalysisSettings:
    """How ``analyze`` samples and schedules (defaults measured on the corpus, see benchmarks/).

    windows: 3-s windows spread evenly over a track (a shorter track is analysed whole). The CNN cost
      grows linearly with it. Measured on the corpus (benchmarks/agreement.py, benchmarks/analyze.py on
      the 2-core dev machine, shared): top-10 neighbour overlap with full-track embeddings over all 181
      files / the 89 music tracks >= 30 s, and tracks/s: 4 -> 0.81 / 0.68, ~6/s; 6 -> 0.85 / 0.75,
      ~4.6/s; 8 -> 0.89 / 0.80, ~3.9/s. ``analyze --windows 8`` when similarity matters more than time.
    patches_per_window: consecutive 187-frame patches per window.
    batch_patches: patches per CNN call; None = the engine's default: onnx 1 (see ``OnnxEngine``),
      torch 2 on the CPU (one thread: 53 ms/patch at 2, 72 at 8; each patch's front-end maps take
      ~25 MB, so big batches only add memory traffic), 64 on a GPU.
    commit_every: tracks per database transaction (the most an interruption can lose).
    workers: decode/feature processes; None = every core when they run the CNN too, else CPU cores - 1
      (at least 1); 0 = everything in this process.
    cnn_in_workers: with the onnx engine on the CPU, each worker runs the CNN on the tracks it
      prepared (one ONNX Runtime thread each) instead of this process running it for all: the cores
      then share the whole job evenly instead of one decoding while the other runs the CNN, and only
      the per-patch outputs cross between processes. None = yes for onnx on the CPU.
    torch_threads: intra-op threads for the CNN (either engine); None = what is left of the cores
      (at least 1).
    engine: "auto" (ONNX Runtime on the CPU, PyTorch on a GPU; see ``engine.py``), "onnx" or "torch".
    """

    windows: int = 6
    patches_per_window: int = 1
    batch_patches: int | None = None
    commit_every: int = 32
    workers: int | None = None
    torch_threads: int | None = None
    cnn_in_workers: bool | None = None
    engine: str = "auto"


@dataclass
class TrackAnalysis:
    """One analysed track, as stored."""

    embedding: np.ndarray  # float32 [EMBEDDING_DIM]
    tags: np.ndarray  # float32 [50]
    tempo: float | None
    loudness: float | None
    brightness: float | None
    energy: float | None
    windows: int  # patches analysed

    def as_row(self, track_id: int) -> dict[str, Any]:
        return {"track_id": track_id, **self.__dict__}


@dataclass
class AnalysisSummary:
    analyzed: int = 0
    failed: int = 0
    pending_before: int = 0
    seconds: float = 0.0
    #: Summed over the run: decode / features = CPU s in the workers; cnn = CPU s in the CNN (all its
    #: threads; in this process or in the workers); cnn_wall / store_wall = wall time of this process
    #: in the CNN / in commits.
    timings: dict[str, float] = field(default_factory=dict)
    engine: str = ""
    workers: int = 0

    @property
    def tracks_per_second(self) -> float:
        done = self.analyzed + self.failed
        return done / self.seconds if self.seconds > 0 else 0.0


# --- main-process side -------------------------------------------------------------------------------


def pool_track(penultimate: np.ndarray, tags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-track embedding and tag vector from per-patch outputs [k, 200] and [k, 50].

    The embedding is the mean penultimate activation. The penultimate layer ends in a batch norm fitted
    on MSD, so its coordinates are already centred and scaled on millions of songs and plain cosine
    similarity works without library-dependent standardisation (see benchmarks/agreement.py for the
    statistics compared).
    """
    return penultimate.mean(axis=0).astype(np.float32), tags.mean(axis=0).astype(np.float32)


def run_cnn(
    engine: Engine | MusiCNN, patches: np.ndarray, device: str = "cpu", batch: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """(penultimate [k, 200], tag probabilities [k, 50]) for log-mel patches [k, 187, 96].

    ``engine``: an engine from ``engine.load_engine`` (its own batch size), or a bare PyTorch model
    (benchmarks and tests that compare against torch directly)."""
    from recommender.audio.engine import TorchEngine

    if not hasattr(engine, "run"):
        engine = TorchEngine(engine, device=device, batch=batch)
    return engine.run(patches)


def resolve_device(device: str | None) -> str:
    device = device or "cpu"
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda requested but PyTorch sees no CUDA GPU")
    return device


def cnn_threads(workers: int, threads: int | None) -> int:
    """Intra-op threads for the CNN: the cores the decode workers leave free (at least one)."""
    return threads or max(1, (os.cpu_count() or 1) - workers)


def default_workers(device: str = "cpu") -> int:
    cores = os.cpu_count() or 1
    # On a GPU the CNN is nearly free and decoding is the bottleneck: use every core for it.
    return max(1, cores if device.startswith("cuda") else cores - 1)


def analyze_file(
    path: str,
    engine: Engine | None = None,
    settings: AnalysisSettings | None = None,
    device: str = "cpu",
) -> TrackAnalysis:
    """Analyse one file now, in this process (e.g. a radio seed that ``analyze`` has not reached).

    Raises ``DecodeError`` when the file cannot be analysed. ~0.2 s for a typical track on one core.
    """
    from recommender.audio.engine import load_engine

    settings = settings or AnalysisSettings()
    prepared = prepare_track(-1, path, settings.windows, settings.patches_per_window)
    if prepared.error:
        raise DecodeError(prepared.error)
    engine = engine or load_engine(device, settings.engine, settings.torch_threads, settings.batch_patches)
    pen, tags = run_cnn(engine, prepared.patches, device)
    return _finish(prepared, pen, tags)


def analyze_track(
    store: Store, track_id: int, engine: Engine | None = None, device: str = "cpu"
) -> TrackAnalysis:
    """Analyse one library track now and store the result (or the error, then re-raise it)."""
    from player.store.analysis import save_analyses, save_analysis_errors
    from player.store.tracks import get_track

    track = get_track(store, track_id)
    if track is None:
        raise KeyError(f"no track with id {track_id}")
    try:
        result = analyze_file(track["path"], engine=engine, device=device)
    except DecodeError as exc:
        save_analysis_errors(store, [(track_id, str(exc))])
        raise
    save_analyses(store, [result.as_row(track_id)])
    return result


def _finish(prepared: PreparedTrack, pen: np.ndarray, tags: np.ndarray) -> TrackAnalysis:
    embedding, tag_vector = pool_track(pen, tags)
    return TrackAnalysis(
        embedding=embedding,
        tags=tag_vector,
        tempo=prepared.tempo,
        loudness=prepared.loudness,
        brightness=prepared.brightness,
        energy=prepared.energy,
        windows=len(pen),
    )


def analyze_library(
    store: Store,
    device: str | None = None,
    settings: AnalysisSettings | None = None,
    progress: bool = True,
    retry_errors: bool = False,
    limit: int | None = None,
    on_batch: Callable[[AnalysisSummary], None] | None = None,
) -> AnalysisSummary:
    """Analyse every present track lacking a current analysis; resumable and safe to interrupt.

    Failed decodes go to ``analysis_errors`` and the run goes on. ``limit`` caps the number of tracks
    (in priority order). ``on_batch`` is called after each commit (for a UI).
    """
    from player.store.analysis import save_analyses, save_analysis_errors, tracks_to_analyze
    from recommender.audio.engine import choose_engine, load_engine, verify_onnx

    settings = settings or AnalysisSettings()
    jobs = tracks_to_analyze(store, retry_errors=retry_errors)
    if limit is not None:
        jobs = jobs[:limit]
    summary = AnalysisSummary(pending_before=len(jobs))
    summary.timings = {"decode": 0.0, "features": 0.0, "cnn": 0.0, "cnn_wall": 0.0, "store_wall": 0.0}
    if not jobs:
        return summary
    device = resolve_device(device)
    in_workers = (
        settings.cnn_in_workers is not False
        and settings.workers != 0
        and choose_engine(device, settings.engine) == "onnx"
    )
    if in_workers:
        workers = (os.cpu_count() or 1) if settings.workers is None else settings.workers
        threads = settings.torch_threads or 1
        verify_onnx()  # a damaged model stops the run here, with its message, before any worker starts
        engine: Engine | None = None
        summary.engine = "onnx in workers"
    else:
        workers = default_workers(device) if settings.workers is None else settings.workers
        threads = cnn_threads(workers, settings.torch_threads)
        engine = load_engine(device, settings.engine, threads, settings.batch_patches)
        summary.engine = engine.name
    started = time.perf_counter()

    from tqdm import tqdm

    bar = tqdm(total=len(jobs), unit="track", desc="analyze", disable=not progress, file=sys.stderr)
    waiting: list[PreparedTrack] = []  # prepared, waiting for the CNN
    rows: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []

    def run_batch() -> None:
        if not waiting:
            return
        t, c = time.perf_counter(), time.process_time()
        pen, tags = run_cnn(engine, np.concatenate([p.patches for p in waiting]), device)
        summary.timings["cnn"] += time.process_time() - c
        summary.timings["cnn_wall"] += time.perf_counter() - t
        offset = 0
        for p in waiting:
            k = len(p.patches)
            rows.append(_finish(p, pen[offset : offset + k], tags[offset : offset + k]).as_row(p.track_id))
            offset += k
        bar.update(len(waiting))
        waiting.clear()

    def commit() -> None:
        t = time.perf_counter()
        if rows:
            save_analyses(store, rows)
            summary.analyzed += len(rows)
        if errors:
            save_analysis_errors(store, errors)
            summary.failed += len(errors)
        rows.clear()
        errors.clear()
        summary.timings["store_wall"] += time.perf_counter() - t
        summary.seconds = time.perf_counter() - started
        if on_batch:
            on_batch(summary)

    def accept(p: PreparedTrack) -> None:
        for k, v in p.seconds.items():
            summary.timings[k] += v
        if p.error:
            errors.append((p.track_id, p.error))
            bar.update(1)
        elif p.penultimate is not None:  # the worker ran the CNN
            rows.append(_finish(p, p.penultimate, p.tag_probs).as_row(p.track_id))
            bar.update(1)
        else:
            waiting.append(p)
            if sum(len(w.patches) for w in waiting) >= engine.batch:
                run_batch()
        if len(rows) + len(errors) >= settings.commit_every:
            commit()

    summary.workers = workers
    job_args = [
        (j.track_id, j.path, settings.windows, settings.patches_per_window, False, j.duration) for j in jobs
    ]
    try:
        if workers == 0:
            for args in job_args:
                accept(_prepare_job(args))
        else:
            _run_with_workers(job_args, workers, accept, threads if in_workers else 0)
        run_batch()
        commit()
    except KeyboardInterrupt:
        # Keep what the CNN already finished; the rest is redone by the next run.
        done, failed = list(rows), list(errors)
        rows.clear()
        errors.clear()
        if done:
            save_analyses(store, done)
        if failed:
            save_analysis_errors(store, failed)
        raise
    finally:
        bar.close()
    summary.seconds = time.perf_counter() - started
    return summary
