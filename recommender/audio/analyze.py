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
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.audio import features as fx
from recommender.audio import worker_guard as guard
from recommender.audio.decode import DecodeError, decode_windows

if TYPE_CHECKING:
    import torch

    from player.store import Store
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
    batch_patches: patches per CNN forward pass; None = 2 on CPU (one thread: 53 ms/patch at 2, 72 at 8;
      each patch's front-end maps take ~25 MB, so big batches only add memory traffic), 64 on a GPU.
    commit_every: tracks per database transaction (the most an interruption can lose).
    workers: decode/feature processes; None = CPU cores - 1 (at least 1); 0 = in this process.
    torch_threads: intra-op threads for the CNN; None = what is left of the cores (at least 1).
    """

    windows: int = 6
    patches_per_window: int = 1
    batch_patches: int | None = None
    commit_every: int = 32
    workers: int | None = None
    torch_threads: int | None = None


@dataclass
class PreparedTrack:
    """What a worker hands back: network input and descriptors, or an error message."""

    track_id: int
    patches: np.ndarray | None = None  # [k, 187, 96] float32, log-compressed
    tempo: float | None = None
    loudness: float | None = None
    brightness: float | None = None
    energy: float | None = None
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # decode / features CPU seconds


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
    timings: dict[str, float] = field(default_factory=dict)  # decode / features / cnn, summed

    @property
    def tracks_per_second(self) -> float:
        done = self.analyzed + self.failed
        return done / self.seconds if self.seconds > 0 else 0.0


# --- worker side -----------------------------------------------------------------------------------


def prepare_track(
    track_id: int,
    path: str,
    windows: int = 6,
    patches_per_window: int = 1,
    full: bool = False,
    expected_duration: float | None = None,
) -> PreparedTrack:
    """Decode the windows of one file and compute its patches and descriptors (runs in a worker).

    ``full`` analyses every non-overlapping patch of the whole file (the reference in benchmarks).
    ``expected_duration`` (from the scan) catches files truncated since: if less than half of it
    decodes, the track is reported as an error rather than analysed from a fragment.
    Never raises for a bad file: the error comes back in ``PreparedTrack.error``.
    """
    t0 = time.process_time()  # CPU seconds of this worker: meaningful even on a busy machine
    try:
        if full:
            from recommender.audio.decode import DecodedWindows, decode_full

            audio, duration = decode_full(path)
            decoded = DecodedWindows(windows=[audio], duration=duration)
        else:
            decoded = decode_windows(path, windows, patches_per_window, expected_duration=expected_duration)
    except DecodeError as exc:
        return PreparedTrack(track_id, error=f"decode: {exc}")
    except Exception as exc:  # a worker must survive anything one file can do
        return PreparedTrack(track_id, error=f"decode: {type(exc).__name__}: {exc}")
    if (
        expected_duration
        and decoded.duration < 0.5 * expected_duration
        and expected_duration - decoded.duration > 5
    ):
        return PreparedTrack(
            track_id,
            error=f"decode: truncated: {decoded.duration:.1f} s of audio where the scan found "
            f"{expected_duration:.1f} s (rescan if the file was replaced)",
        )
    t1 = time.process_time()
    try:
        prepared = _features(track_id, decoded)
    except Exception as exc:
        return PreparedTrack(track_id, error=f"features: {type(exc).__name__}: {exc}")
    prepared.seconds = {"decode": t1 - t0, "features": time.process_time() - t1}
    return prepared


def _features(track_id: int, decoded: Any) -> PreparedTrack:
    all_patches, envelopes, powers = [], [], []
    for audio in decoded.windows:
        if len(audio) < fx.PATCH_SAMPLES:  # musicnn's "repeat-pad" for clips shorter than a patch
            if not len(audio):
                continue
            audio = np.tile(audio, int(np.ceil(fx.PATCH_SAMPLES / len(audio))))[: fx.PATCH_SAMPLES]
        power = fx.power_spectrogram(audio)
        mel = fx.mel_from_power(power)
        all_patches.append(fx.patches(fx.log_compress(mel)))
        envelopes.append(fx.onset_envelope(mel))
        powers.append(power)
    patches = np.concatenate(all_patches) if all_patches else np.zeros((0, fx.PATCH_FRAMES, fx.N_MELS))
    if len(patches) == 0:
        return PreparedTrack(track_id, error="features: no audio")
    if not np.isfinite(patches).all():
        return PreparedTrack(track_id, error="features: non-finite samples")
    flux = np.concatenate(envelopes) if envelopes else np.zeros(0)
    loudness_windows = decoded.native or [w[:, None] for w in decoded.windows]
    loudness = fx.integrated_loudness(loudness_windows, decoded.native_sr if decoded.native else fx.SR)
    silent = loudness is None  # every block under -70 LUFS: no tempo or timbre to speak of
    return PreparedTrack(
        track_id,
        patches=patches.astype(np.float32),
        tempo=None if silent else fx.estimate_tempo(envelopes),
        loudness=loudness,
        brightness=None if silent else fx.spectral_centroid(np.concatenate(powers)),
        energy=0.0 if silent else (float(flux.mean()) if len(flux) else None),
    )


def _prepare_job(job: tuple[int, str, int, int, bool, float | None]) -> PreparedTrack:
    return prepare_track(*job)


def _prepare_guarded(job: tuple[int, str, int, int, bool, float | None]) -> PreparedTrack:
    """``_prepare_job`` in a worker, under the wall-clock budget of ``worker_guard``."""
    guard.start_budget(guard.decode_budget(job[5]))
    try:
        return prepare_track(*job)
    finally:
        guard.stop_budget()


def _init_worker(parent_pid: int | None = None) -> None:
    """Workers leave Ctrl-C to the main process, die with it, keep decoder chatter off the terminal
    and use one BLAS thread each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    guard.die_with_parent(parent_pid)
    guard.contain_stderr()
    # Warm the decoder and feature imports (librosa ≈ seconds) outside any file's decode budget.
    import soundfile  # noqa: F401
    import soxr  # noqa: F401

    fx.mel_basis()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


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
    model: MusiCNN, patches: np.ndarray, device: str | torch.device = "cpu", batch: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """(penultimate [k, 200], tag probabilities [k, 50]) for log-mel patches [k, 187, 96]."""
    import torch

    pens, tags = [], []
    with torch.inference_mode():
        for i in range(0, len(patches), batch):
            x = torch.from_numpy(np.ascontiguousarray(patches[i : i + batch])).to(device)
            out_tags, pen = model(x)
            pens.append(pen.float().cpu().numpy())
            tags.append(out_tags.float().cpu().numpy())
    return np.concatenate(pens), np.concatenate(tags)


def resolve_device(device: str | None) -> str:
    import torch

    device = device or "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("--device cuda requested but PyTorch sees no CUDA GPU")
    return device


def configure_threads(workers: int, torch_threads: int | None, device: str) -> int:
    """Give the CNN the cores the workers leave free (all of them on a GPU run does not matter)."""
    import torch

    cores = os.cpu_count() or 1
    threads = torch_threads or max(1, cores - workers)
    torch.set_num_threads(threads)
    return threads


def cnn_batch(settings: AnalysisSettings, device: str) -> int:
    if settings.batch_patches:
        return settings.batch_patches
    return 64 if str(device).startswith("cuda") else 2


def default_workers(device: str = "cpu") -> int:
    cores = os.cpu_count() or 1
    # On a GPU the CNN is nearly free and decoding is the bottleneck: use every core for it.
    return max(1, cores if device.startswith("cuda") else cores - 1)


def analyze_file(
    path: str,
    model: MusiCNN | None = None,
    settings: AnalysisSettings | None = None,
    device: str = "cpu",
) -> TrackAnalysis:
    """Analyse one file now, in this process (e.g. a radio seed that ``analyze`` has not reached).

    Raises ``DecodeError`` when the file cannot be analysed. ~0.3 s for a typical track on one core.
    """
    from recommender.audio.model import load_model

    settings = settings or AnalysisSettings()
    prepared = prepare_track(-1, path, settings.windows, settings.patches_per_window)
    if prepared.error:
        raise DecodeError(prepared.error)
    model = model or load_model(device)
    pen, tags = run_cnn(model, prepared.patches, device, cnn_batch(settings, device))
    return _finish(prepared, pen, tags)


def analyze_track(
    store: Store, track_id: int, model: MusiCNN | None = None, device: str = "cpu"
) -> TrackAnalysis:
    """Analyse one library track now and store the result (or the error, then re-raise it)."""
    from player.store.analysis import save_analyses, save_analysis_errors
    from player.store.tracks import get_track

    track = get_track(store, track_id)
    if track is None:
        raise KeyError(f"no track with id {track_id}")
    try:
        result = analyze_file(track["path"], model=model, device=device)
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
    from recommender.audio.model import load_model

    settings = settings or AnalysisSettings()
    jobs = tracks_to_analyze(store, retry_errors=retry_errors)
    if limit is not None:
        jobs = jobs[:limit]
    summary = AnalysisSummary(pending_before=len(jobs))
    summary.timings = {"decode": 0.0, "features": 0.0, "cnn": 0.0}
    if not jobs:
        return summary
    device = resolve_device(device)
    workers = default_workers(device) if settings.workers is None else settings.workers
    configure_threads(workers, settings.torch_threads, device)
    batch = cnn_batch(settings, device)
    model = load_model(device)
    started = time.perf_counter()

    from tqdm import tqdm

    bar = tqdm(total=len(jobs), unit="track", desc="analyze", disable=not progress, file=sys.stderr)
    waiting: list[PreparedTrack] = []  # prepared, waiting for the CNN
    rows: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []

    def run_batch() -> None:
        if not waiting:
            return
        t = time.perf_counter()
        pen, tags = run_cnn(model, np.concatenate([p.patches for p in waiting]), device, batch)
        summary.timings["cnn"] += time.perf_counter() - t
        offset = 0
        for p in waiting:
            k = len(p.patches)
            rows.append(_finish(p, pen[offset : offset + k], tags[offset : offset + k]).as_row(p.track_id))
            offset += k
        bar.update(len(waiting))
        waiting.clear()

    def commit() -> None:
        if rows:
            save_analyses(store, rows)
            summary.analyzed += len(rows)
        if errors:
            save_analysis_errors(store, errors)
            summary.failed += len(errors)
        rows.clear()
        errors.clear()
        summary.seconds = time.perf_counter() - started
        if on_batch:
            on_batch(summary)

    def accept(p: PreparedTrack) -> None:
        for k, v in p.seconds.items():
            summary.timings[k] += v
        if p.error:
            errors.append((p.track_id, p.error))
            bar.update(1)
        else:
            waiting.append(p)
            if sum(len(w.patches) for w in waiting) >= batch:
                run_batch()
        if len(rows) + len(errors) >= settings.commit_every:
            commit()

    job_args = [
        (j.track_id, j.path, settings.windows, settings.patches_per_window, False, j.duration) for j in jobs
    ]
    try:
        if workers == 0:
            for args in job_args:
                accept(_prepare_job(args))
        else:
            _run_with_workers(job_args, workers, accept)
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


JobArgs = tuple[int, str, int, int, bool, float | None]


def _run_with_workers(job_args: list[JobArgs], workers: int, accept: Callable[[PreparedTrack], None]) -> None:
    """Feed jobs to spawn-started worker processes with bounded look-ahead (memory stays flat).

    A file that crashes its worker (a decoder bug on a hostile file) breaks the whole pool; the jobs
    that were in flight are then retried one by one, each in a process of its own, so the culprit is
    recorded as failed and the run goes on with a fresh pool.
    """
    remaining = job_args
    while remaining:
        remaining, in_flight = _run_pool(remaining, workers, accept)
        for args in in_flight:
            _run_isolated(args, accept)


def _pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    # spawn: workers never inherit the parent's torch/OpenMP state, and import only numpy/soundfile.
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )


def _run_pool(
    job_args: list[JobArgs], workers: int, accept: Callable[[PreparedTrack], None]
) -> tuple[list[JobArgs], list[JobArgs]]:
    """Run jobs until done or until the pool breaks; then return (not started, in flight)."""
    from concurrent.futures.process import BrokenProcessPool

    ahead = max(8, 4 * workers)
    with _pool(workers) as pool:
        pending: dict[Future[PreparedTrack], JobArgs] = {}
        submitted = 0
        try:
            while submitted < len(job_args) or pending:
                while submitted < len(job_args) and len(pending) < ahead:
                    pending[pool.submit(_prepare_guarded, job_args[submitted])] = job_args[submitted]
                    submitted += 1
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    try:
                        result = f.result()
                    except BrokenProcessPool:
                        pool.shutdown(wait=False, cancel_futures=True)
                        return job_args[submitted:], list(pending.values())
                    del pending[f]
                    accept(result)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM): do not wait for a worker stuck in a long decode.
            guard.stop_workers(pool)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [], []


def _run_isolated(args: JobArgs, accept: Callable[[PreparedTrack], None]) -> None:
    from concurrent.futures.process import BrokenProcessPool

    budget = guard.decode_budget(args[5])
    started = time.monotonic()
    with _pool(1) as pool:
        try:
            result = pool.submit(_prepare_guarded, args).result()
        except BrokenProcessPool:
            if time.monotonic() - started >= 0.9 * budget:
                message = f"decode: timed out after {budget:.0f} s (a damaged or crafted file?)"
            else:
                message = "the audio decoder crashed on this file (damaged or unsupported)"
            result = PreparedTrack(args[0], error=message)
    accept(result)
