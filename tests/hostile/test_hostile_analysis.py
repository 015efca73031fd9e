"""Analysis against hostile files and kills: a decode budget, contained decoder chatter, workers that
die with their parent, and an mp3 whose cover libsndfile takes for audio."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_helpers import REPO, assert_clean_failure

from player.library import scan
from player.store import Store
from player.store.tracks import get_track_by_path
from recommender.audio.analyze import prepare_track


@pytest.fixture(scope="module")
def analysis_db(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mutagen.id3 import APIC, ID3, TIT2, TPE1

    root = tmp_path_factory.mktemp("hostile-analysis") / "music"
    root.mkdir()
    src = sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))[0]
    shutil.copy(src, root / "good.ogg")
    clip = root.parent / "clip.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-t",
            "20",
            "-i",
            str(src),
            "-map_metadata",
            "-1",
        ]
        + ["-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0", str(clip)],
        check=True,
    )
    # 11. no Xing header and a 3 MB cover: libsndfile counts the tag as audio (~200 s instead of 20 s)
    cover = root / "cover.mp3"
    shutil.copy(clip, cover)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Covered"))
    tags.add(TPE1(encoding=3, text="Coverist"))
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="front", data=os.urandom(3_000_000)))
    tags.save(cover)
    # 9. an 8 GB sparse zero tail: libmpg123 resyncs through it for minutes, a line of stderr per try
    sparse = root / "sparse.mp3"
    shutil.copy(clip, sparse)
    os.truncate(sparse, 8 * 2**30)
    db = root.parent / "encore.db"
    with Store.open(db) as store:
        summary = scan(store, [root], workers=1)
        assert summary.added == 3, summary
    return db


def test_an_mp3_with_a_cover_and_no_xing_uses_the_scanned_duration(analysis_db):
    with Store.open(analysis_db) as store:
        row = get_track_by_path(store, str(analysis_db.parent / "music" / "cover.mp3"))
    assert 19 < row["duration"] < 21
    blind = prepare_track(row["id"], row["path"], 6, 1)
    assert blind.error and "truncated" in blind.error  # what libsndfile's own length leads to
    prepared = prepare_track(row["id"], row["path"], 6, 1, expected_duration=row["duration"])
    assert prepared.error is None and len(prepared.patches) == 6


def _encore_analyze(db: Path, budget: str | None = None, budget_max: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("ENCORE_DECODE_BUDGET_S", None)
    if budget is not None:
        env["ENCORE_DECODE_BUDGET_S"] = budget
    if budget_max is not None:
        env["ENCORE_DECODE_BUDGET_MAX_S"] = budget_max
    return subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "analyze", "--db", str(db), "--workers", "1", "--quiet"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def timed_out_run(analysis_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """One ``encore analyze`` over the good files and the sparse one, with the real budget (relative to
    the duration, a 20 s floor: good files never come near it, however loaded the machine) and only
    its cap lowered, so the sparse file's worker is killed after 30 s rather than 60. The tests assert
    what happened (which files were analysed, which timed out, what was left behind), never how fast.
    Also records every helper process seen while it ran."""
    db = tmp_path_factory.mktemp("timed-out") / "encore.db"
    shutil.copyfile(analysis_db, db)
    proc = _encore_analyze(db, budget_max="30")
    seen: set[int] = set()
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        seen.update(_children(proc.pid))
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    left = {
        c: Path(f"/proc/{c}/cmdline").read_text(errors="replace") for c in seen if Path(f"/proc/{c}").exists()
    }
    return db, subprocess.CompletedProcess(proc.args, proc.returncode, out, err), (seen, left)


def test_a_decode_that_hangs_is_timed_out_and_its_noise_contained(timed_out_run):
    db, result, _seen = timed_out_run
    assert_clean_failure(result, "analysed 2 tracks, 1 failed", code=0)
    assert len(result.stderr) < 2000 and "MPEG" not in result.stderr, result.stderr[:500]
    conn = sqlite3.connect(db)
    (message,) = conn.execute(
        "SELECT message FROM analysis_errors e JOIN tracks t ON t.id = e.track_id WHERE t.path LIKE '%sparse.mp3'"
    ).fetchone()
    analysed = {
        p for (p,) in conn.execute("SELECT t.path FROM analysis a JOIN tracks t ON t.id = a.track_id")
    }
    conn.close()
    assert "timed out" in message
    assert {Path(p).name for p in analysed} == {"good.ogg", "cover.mp3"}
    assert (db.parent / "cache" / "encore.db.radio.arrays").exists()  # the next radio starts warm


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_killing_analyze_leaves_no_worker_behind(analysis_db, tmp_path, sig):
    db = tmp_path / "encore.db"
    shutil.copyfile(analysis_db, db)
    proc = _encore_analyze(db, budget="120")  # the sparse file keeps its worker busy
    try:
        deadline = time.monotonic() + 120
        children: list[int] = []
        while time.monotonic() < deadline and proc.poll() is None:
            children = _children(proc.pid)
            if len(children) >= 2:  # the resource tracker and the decode worker
                break
            time.sleep(0.2)
        assert len(children) >= 2, "analyze never started its workers"
        time.sleep(1.0)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        if sig in (signal.SIGTERM, signal.SIGHUP):
            assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.2)
        assert not [c for c in children if _alive(c)], "workers outlived analyze"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_no_helper_process_outlives_a_finished_analyze(timed_out_run):
    """The decode workers and multiprocessing's resource tracker are gone (reaped, not orphaned or
    zombies) the moment ``encore analyze`` exits, also after a worker was killed by its budget."""
    _db, result, (seen, left) = timed_out_run
    assert result.returncode == 0 and "analysed 2 tracks, 1 failed" in result.stdout, (
        result.stdout + result.stderr
    )
    assert len(seen) >= 2, "analyze never started its helper processes"
    assert not left, f"processes outlived analyze: {left}"
