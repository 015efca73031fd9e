"""The worker-pool helpers: a stopping signal waits until a pool has recorded the workers it started
(else the interpreter's exit waited for an unrecorded worker forever), even with other threads
running, and a worker started while signals were held still ends on SIGTERM."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from player.process_pool import default_signals, signals_held, stop_workers


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _handlers_in_worker() -> tuple[bool, bool]:
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, signal.getsignal(
        signal.SIGINT
    ) == signal.SIG_IGN


def test_a_signal_sent_while_held_arrives_after_the_block():
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    # Another thread, as a pool has: the kernel may hand it the signal, and Python then runs the
    # handler in the main thread at once (a signal mask on the main thread alone did not hold it).
    other = threading.Thread(target=time.sleep, args=(0.5,))
    other.start()
    reached_end_of_block = False
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_held():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # a handler that could run, would run here
                reached_end_of_block = True
        assert reached_end_of_block
        assert signal.getsignal(signal.SIGTERM) is _raise_interrupt  # the handler is back
    finally:
        signal.signal(signal.SIGTERM, previous)
        other.join()


def test_a_worker_started_under_the_hold_dies_on_sigterm_and_leaves_ctrl_c_to_the_scan():
    ctx = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=default_signals)
    try:
        with signals_held():
            future = pool.submit(_handlers_in_worker)
        assert future.result(timeout=30) == (True, True)  # the initializer replaced the noting handler
        (worker,) = pool._processes.values()
        os.kill(worker.pid, signal.SIGTERM)
        worker.join(timeout=30)
        assert worker.exitcode == -signal.SIGTERM
    finally:
        stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
