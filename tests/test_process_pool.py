"""The worker-pool helpers: a stopping signal waits until a pool has recorded the workers it started
(else the interpreter's exit waited for an unrecorded worker forever), and a worker started while
signals were held still ends on SIGTERM."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from player.process_pool import default_signals, signals_held, stop_workers


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _blocked_in_worker() -> bool:
    return signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, set())


def test_a_signal_sent_while_held_arrives_after_the_block():
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    reached_end_of_block = False
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_held():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # a handler that could run, would run here
                reached_end_of_block = True
        assert reached_end_of_block
        assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, set())  # the hold ended
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_worker_started_under_the_hold_drops_it_and_dies_on_sigterm():
    ctx = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=default_signals)
    try:
        with signals_held():
            future = pool.submit(_blocked_in_worker)
        assert future.result(timeout=30) is False  # the initializer took the hold back
        (worker,) = pool._processes.values()
        os.kill(worker.pid, signal.SIGTERM)
        worker.join(timeout=30)
        assert worker.exitcode == -signal.SIGTERM
    finally:
        stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
