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
from script_helpers import run_script

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
        # A safety net: before the fix it waited forever. Past library.STALL_S (60 s) with nothing read
        # back, a scan takes its workers as stuck and reads their chunks again: room for that too.
        out, err = proc.communicate(timeout=150)
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


_STUCK_WORKER = """
import os, sys, time
from pathlib import Path

import player.library as library
from player.store import Store

real_read = library.read_many_timed


def read_many_timed(chunk):
    try:  # the first chunk any worker takes: that worker never answers
        os.close(os.open(sys.argv[3], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return real_read(chunk)
    time.sleep(3600)


library.read_many_timed = read_many_timed
library.STALL_S = 2.0
library._PARALLEL_THRESHOLD = 10

if __name__ == "__main__":
    with Store.open(sys.argv[1]) as store:
        summary = library.scan(store, [sys.argv[2]], workers=2)
    print(summary.added, summary.errors)
"""


def test_a_scan_whose_worker_never_answers_reads_its_files_again(corpus_dir, tmp_path):
    """A stuck worker (one that hangs at its start or in a read) kept its chunk, and the scan waited for
    it for ever: once nothing comes back for STALL_S, the pool is taken as broken, its workers killed and
    the chunks they held read again, so every file is scanned."""
    files = sum(1 for _ in corpus_dir.rglob("*.ogg"))
    # run_script times out as a safety net: before the fix it waited for ever
    proc = run_script(
        tmp_path, _STUCK_WORKER, str(tmp_path / "encore.db"), str(corpus_dir), str(tmp_path / "stuck")
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "stuck").exists()  # a worker did get stuck
    assert proc.stdout.split() == [str(files), "0"], proc.stdout + proc.stderr


_HALF_ANSWER = """
import os, sys
import multiprocessing.connection as connection


def first_worker_dies_half_way_through_its_answer():
    real_send = connection.Connection._send

    def send(self, buf, write=os.write):
        try:  # the first answer of the run: two bytes of it are sent, then its worker is killed
            os.close(os.open(os.environ["ENCORE_TEST_FLAG"], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return real_send(self, buf, write)
        write(self._handle, bytes(buf[:2]))
        os.kill(os.getpid(), 9)

    connection.Connection._send = send


import player.library as library  # noqa: E402
import recommender.audio.workers as analysis_workers  # noqa: E402

real_scan_init, real_analysis_init = library.worker_signals, analysis_workers._init_worker


def scan_init(*args):
    real_scan_init(*args)
    first_worker_dies_half_way_through_its_answer()


def analysis_init(*args):
    real_analysis_init(*args)
    first_worker_dies_half_way_through_its_answer()


library.worker_signals = scan_init
analysis_workers._init_worker = analysis_init
library.STALL_S = 600.0  # not the stall guard: the ended worker itself must break the pool
library._PARALLEL_THRESHOLD = 10

if __name__ == "__main__":
    from main import main

    sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", ["scan", "analyze"])
def test_a_worker_killed_half_way_through_its_answer_neither_hangs_the_run_nor_its_exit(
    corpus_dir, tmp_path, command
):
    """The killed-worker test's rare failure, made certain: a worker killed while sending its answer left
    the pool's own thread waiting for the rest for ever. The scan sat out its 60-s stall guard and then never
    exited; an analysis (whose answers are large, so the window is wide) waited for ever. The ended worker
    now breaks the pool within seconds, its work is done again, and the process ends."""
    db = tmp_path / "encore.db"
    root = tmp_path / "music"
    root.mkdir()
    for src in sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))[:3] if command == "analyze" else []:
        os.link(src, root / src.name)
    if command == "analyze":
        from player.library import scan
        from player.store import Store

        with Store.open(db) as store:
            assert scan(store, [root], workers=1).added == 3
        args = ["analyze", "--db", str(db), "--workers", "1", "--quiet"]
    else:
        args = ["scan", "--db", str(db), "--workers", "2", str(corpus_dir)]
    # run_script times out as a safety net: before the fix neither ever ended
    proc = run_script(
        tmp_path, _HALF_ANSWER, *args, env={"ENCORE_TEST_FLAG": str(tmp_path / "flag")}, timeout=300
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Traceback" not in out, out
    assert (tmp_path / "flag").exists()  # a worker did die half way through an answer
    if command == "analyze":
        assert "analysed 3 tracks" in proc.stdout, out  # the killed worker's track was analysed again
        return
    conn = sqlite3.connect(db)
    (tracks,) = conn.execute("SELECT COUNT(*) FROM tracks").fetchone()
    conn.close()
    assert tracks == sum(1 for _ in corpus_dir.rglob("*.ogg")), out
