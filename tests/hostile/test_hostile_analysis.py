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


def _encore_analyze(db: Path, budget: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "analyze", "--db", str(db), "--workers", "1", "--quiet"],
        cwd=REPO,
        env={**os.environ, "ENCORE_DECODE_BUDGET_S": budget, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_decode_that_hangs_is_timed_out_and_its_noise_contained(analysis_db, tmp_path):
    db = tmp_path / "encore.db"
    shutil.copyfile(analysis_db, db)
    proc = _encore_analyze(db, budget="8")
    out, err = proc.communicate(timeout=240)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert_clean_failure(result, "analysed 2 tracks, 1 failed", code=0)
    assert len(err) < 2000 and "MPEG" not in err, err[:500]
    conn = sqlite3.connect(db)
    (message,) = conn.execute(
        "SELECT message FROM analysis_errors e JOIN tracks t ON t.id = e.track_id WHERE t.path LIKE '%sparse.mp3'"
    ).fetchone()
    conn.close()
    assert "timed out" in message


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


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
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
        if sig == signal.SIGTERM:
            assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.2)
        assert not [c for c in children if _alive(c)], "workers outlived analyze"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_no_helper_process_outlives_a_finished_analyze(analysis_db, tmp_path):
    """The decode workers and multiprocessing's resource tracker are gone (reaped, not orphaned or
    zombies) the moment ``encore analyze`` exits, also after a worker was killed by its budget."""
    db = tmp_path / "encore.db"
    shutil.copyfile(analysis_db, db)
    proc = _encore_analyze(db, budget="4")
    seen: set[int] = set()
    while proc.poll() is None:
        seen.update(_children(proc.pid))
        time.sleep(0.05)
    out, err = proc.communicate(timeout=30)
    left = [c for c in seen if Path(f"/proc/{c}").exists()]
    assert proc.returncode == 0 and "analysed 2 tracks, 1 failed" in out, out + err
    assert len(seen) >= 2, "analyze never started its helper processes"
    assert not left, f"processes outlived analyze: {[Path(f'/proc/{c}/cmdline').read_text() for c in left]}"
