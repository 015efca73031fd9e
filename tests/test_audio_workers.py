"""A worker process that dies mid-analysis (a decoder crash) must not stop or stall the analysis."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from recommender.audio.analyze import PreparedTrack, _run_with_workers


def test_a_killed_worker_is_survived_and_every_track_is_prepared_once(corpus_files: list[Path]) -> None:
    files = [p for p in corpus_files if "wesnoth" in str(p)][:4]
    jobs = [(i, str(path), 2, 1, False, None) for i, path in enumerate(files)]
    accepted: list[PreparedTrack] = []
    killed: list[int] = []

    def accept(prepared: PreparedTrack) -> None:
        accepted.append(prepared)
        if not killed:  # the first result is in: kill the worker while others are in flight
            for child in multiprocessing.active_children():
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)

    _run_with_workers(jobs, 1, accept)
    assert killed, "a worker process should have been running"
    assert sorted(p.track_id for p in accepted) == list(range(len(files)))  # each exactly once
    assert all(p.error is None and p.patches is not None for p in accepted)


def test_a_worker_killed_while_nothing_is_waited_on_is_survived_too(corpus_files: list[Path]) -> None:
    """A walk paused the analysis, killed a worker (as the OOM killer would) and resumed: the pool had
    noticed the death meanwhile, so the next submit raised and the whole analysis failed ("Audio analysis
    failed: BrokenProcessPool"). Here the first result's consumer kills the worker and then takes its time
    (a pause), with more tracks than the look-ahead still to submit."""
    import time

    files = [p for p in corpus_files if "wesnoth" in str(p)][:12]  # more than the look-ahead of 8
    jobs = [(i, str(path), 2, 1, False, None) for i, path in enumerate(files)]
    accepted: list[PreparedTrack] = []
    killed: list[int] = []

    def accept(prepared: PreparedTrack) -> None:
        accepted.append(prepared)
        if not killed:
            for child in multiprocessing.active_children():
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)
            time.sleep(1.0)  # paused: the pool learns of the death before anything more is submitted

    _run_with_workers(jobs, 1, accept)
    assert killed, "a worker process should have been running"
    assert sorted(p.track_id for p in accepted) == list(range(len(files)))  # each exactly once
    assert all(p.error is None and p.patches is not None for p in accepted)


@pytest.mark.parametrize(
    "signum, recorded",
    [
        (signal.SIGKILL, None),  # from outside: the OOM killer, a kill -9
        (signal.SIGSEGV, "the audio decoder crashed on this file"),
        (signal.SIGALRM, "decode: timed out after"),  # the worker's own decode budget (worker_guard)
    ],
    ids=["sigkill", "sigsegv", "sigalrm"],
)
def test_what_ended_a_tracks_own_worker_says_whether_the_file_is_blamed(
    corpus_files: list[Path], signum: int, recorded: str | None
) -> None:
    """A walk killed the worker that retries a broken pool's tracks one by one (as the OOM killer could):
    Problems then said "the audio decoder crashed on this file (damaged or unsupported)", and the track was
    skipped for good. A worker ended by SIGKILL is not the file's doing: nothing is recorded, and the next
    analysis tries the track again. A crash (SIGSEGV) or the decode budget running out (SIGALRM) is the
    file's, and is recorded with what happened."""
    import threading
    import time

    files = [p for p in corpus_files if "wesnoth" in str(p)][:2]
    jobs = [(i, str(path), 2, 1, False, None) for i, path in enumerate(files)]
    accepted: list[PreparedTrack] = []
    killed: set[int] = set()
    stop = threading.Event()

    def end_every_worker() -> None:  # every pool's worker, each track's own retry among them
        while not stop.is_set():
            for child in multiprocessing.active_children():
                if child.pid not in killed:
                    os.kill(child.pid, signum)
                    killed.add(child.pid)
            time.sleep(0.01)

    killer = threading.Thread(target=end_every_worker)
    killer.start()
    try:
        _run_with_workers(jobs, 1, accepted.append)
    finally:
        stop.set()
        killer.join()
    assert len(killed) >= 1 + len(jobs), killed  # a pool's worker, then each track's own
    if recorded is None:
        assert accepted == []  # no track marked as failed for good: the next analysis tries them again
    else:
        assert sorted(p.track_id for p in accepted) == [0, 1]
        assert all(p.error and p.error.startswith(recorded) for p in accepted), [p.error for p in accepted]
