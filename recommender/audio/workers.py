"""Decode worker processes for ``analyze``: a spawn-started pool with bounded look-ahead that survives a
worker killed by a hostile file (the culprit is retried alone and recorded as failed; one killed from outside,
by SIGKILL, is left for the next analysis)."""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

from player.process_pool import PoolStuck, abandon_pool, ended_by_signals, signals_held, wait_any
from recommender.audio import worker_guard as guard
from recommender.audio.prepare import JobArgs, PreparedTrack, _init_worker, _prepare_guarded

log = logging.getLogger(__name__)


def _run_with_workers(
    job_args: list[JobArgs], workers: int, accept: Callable[[PreparedTrack], None], cnn_threads: int = 0
) -> None:
    """Feed jobs to spawn-started worker processes with bounded look-ahead (memory stays flat).

    ``cnn_threads`` > 0: each worker also runs the CNN (ONNX Runtime, that many threads) and hands
    back per-patch outputs instead of patches (see ``prepare._prepare_guarded``).

    A file that crashes its worker (a decoder bug on a hostile file) breaks the whole pool; the jobs
    that were in flight are then retried one by one, each in a process of its own, so the culprit is
    recorded as failed and the run goes on with a fresh pool.
    """
    tracker_was_running = guard.tracker_running()  # e.g. a scan's forkserver started it: leave it
    remaining = job_args
    while remaining:
        remaining, in_flight = _run_pool(remaining, workers, accept, cnn_threads)
        for args in in_flight:
            _run_isolated(args, accept, cnn_threads)
    if not tracker_was_running:
        guard.stop_tracker()  # no helper process outlives the analysis (or the CLI command)


def _pool(workers: int, cnn_threads: int = 0) -> ProcessPoolExecutor:
    import multiprocessing

    # spawn: workers never inherit the parent's torch/OpenMP state, and import only numpy/soundfile.
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(os.getpid(), cnn_threads),
    )


def _run_pool(
    job_args: list[JobArgs], workers: int, accept: Callable[[PreparedTrack], None], cnn_threads: int = 0
) -> tuple[list[JobArgs], list[JobArgs]]:
    """Run jobs until done or until the pool breaks; then return (not started, in flight)."""
    from concurrent.futures.process import BrokenProcessPool

    ahead = max(8, 4 * workers)
    with _pool(workers, cnn_threads) as pool:
        pending: dict[Future[PreparedTrack], JobArgs] = {}
        submitted = 0
        try:
            while submitted < len(job_args) or pending:
                while submitted < len(job_args) and len(pending) < ahead:
                    with signals_held():  # a submit may start a worker (process_pool.signals_held)
                        future = pool.submit(_prepare_guarded, job_args[submitted])
                    pending[future] = job_args[submitted]
                    submitted += 1
                for f in wait_any(pool, pending):
                    result = f.result()
                    del pending[f]
                    accept(result)
        except (BrokenProcessPool, PoolStuck):
            # A worker died: found at a result, at a submit (it died while nothing was waited on, a pause)
            # or by ``wait_any`` (killed half way through handing back its track).
            abandon_pool(pool)
            return job_args[submitted:], list(pending.values())
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM): do not wait for a worker stuck in a long decode.
            abandon_pool(pool)
            raise
    return [], []


def _run_isolated(args: JobArgs, accept: Callable[[PreparedTrack], None], cnn_threads: int = 0) -> None:
    from concurrent.futures.process import BrokenProcessPool

    budget = guard.decode_budget(args[5])
    started = time.monotonic()
    with _pool(1, cnn_threads) as pool:
        try:
            with signals_held():
                future = pool.submit(_prepare_guarded, args)
            wait_any(pool, [future])
            result = future.result()
        except (BrokenProcessPool, PoolStuck):
            ended_by = ended_by_signals(pool)
            abandon_pool(pool)
            if signal.SIGKILL in ended_by:
                # Killed from outside (the OOM killer, a kill -9), not by the file: nothing is recorded, so
                # the track is not marked as failed for good and the next analysis tries it again.
                log.warning(
                    "the analysis of %s was killed (out of memory?); the next analysis tries again", args[1]
                )
                return
            if signal.SIGALRM in ended_by or time.monotonic() - started >= 0.9 * budget:
                message = f"decode: timed out after {budget:.0f} s (a damaged or crafted file?)"
            else:
                message = "the audio decoder crashed on this file (damaged or unsupported)"
            result = PreparedTrack(args[0], error=message)
        except BaseException:  # interrupted: do not wait for the worker's decode, as ``_run_pool``
            abandon_pool(pool)
            raise
    accept(result)
