"""A worker process that dies mid-analysis (a decoder crash) must not stop or stall the analysis."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

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
