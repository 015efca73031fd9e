"""Issue 27 item 7: a worker killed by SIGKILL (as the OOM killer does) must not leave ``scan`` or
``analyze`` waiting forever. Real faults: the real CLI in a child process, its worker process found in
/proc and killed mid-run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_helpers import REPO

N_FILES = 3000  # well past the parallel threshold, so the scan reads tags in worker processes


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (forkserver workers are grandchildren of the scan)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) and fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [c for c, p in parents.items() if p == parent]
        found += kids
        frontier += kids
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _busy_worker(pid: int) -> int | None:
    """A worker process below ``pid`` (a leaf: not the forkserver, which has the workers below it,
    nor the resource tracker) that has already spent CPU on its work."""
    below = _descendants(pid)
    parents = {(_stat(c) or ["", "0"])[1] for c in below}
    for child in below:
        fields, line = _stat(child), _cmdline(child)
        if str(child) in parents or "resource_tracker" in line:
            continue
        if fields and int(fields[1]) == pid and "forkserver" in line:
            continue  # the forkserver before it forked any worker
        if fields and int(fields[11]) >= 3:  # utime in clock ticks: it is reading files
            return child
    return None


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), *args],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_a_worker(proc: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        worker = _busy_worker(proc.pid)
        if worker:
            os.kill(worker, signal.SIGKILL)
            return worker
        time.sleep(0.02)
    out, err = proc.communicate(timeout=5) if proc.poll() is not None else ("", "")
    pytest.fail(f"no busy worker seen: {out}{err}")


@pytest.fixture(scope="module")
def many_files(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("many") / "music"
    root.mkdir()
    src = min(corpus_dir.rglob("*.ogg"), key=lambda p: p.stat().st_size)
    for i in range(N_FILES):
        os.link(src, root / f"{i:05d}.ogg")
    return root


@pytest.mark.parametrize("then", ["finish", "sigterm"])
def test_a_scan_worker_killed_by_sigkill_does_not_hang_the_scan(many_files, tmp_path, then):
    db = tmp_path / "encore.db"
    proc = _start("scan", "--db", str(db), "--workers", "2", str(many_files))
    try:
        _kill_a_worker(proc)
        if then == "sigterm":
            proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)  # a safety net: before the fix it waited forever
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in out + err, out + err
    if then == "sigterm":
        assert proc.returncode == 130 and "interrupted" in err, out + err
        return
    assert proc.returncode == 0, out + err
    conn = sqlite3.connect(db)
    (tracks,) = conn.execute("SELECT COUNT(*) FROM tracks").fetchone()
    (errors,) = conn.execute("SELECT COUNT(*) FROM scan_errors").fetchone()
    conn.close()
    # Nothing lost: the killed worker's files were read again (or, at worst, listed as errors).
    assert tracks + errors == N_FILES and tracks > N_FILES - 10, out + err


def test_an_analyze_worker_killed_by_sigkill_does_not_hang_the_analysis(corpus_dir, tmp_path):
    from player.library import scan
    from player.store import Store

    root = tmp_path / "music"
    root.mkdir()
    for src in sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))[:3]:
        os.link(src, root / src.name)
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        assert scan(store, [root], workers=1).added == 3
    proc = _start("analyze", "--db", str(db), "--workers", "1", "--quiet")
    try:
        _kill_a_worker(proc)
        out, err = proc.communicate(timeout=120)  # a safety net, not a speed check
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "Traceback" not in out + err, out + err
    assert "analysed 3 tracks" in out, out + err  # the killed worker's track was analysed again
