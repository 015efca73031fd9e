"""Model paths naming special files (issue 27, item 17): ``/dev/zero`` and a FIFO in
``ENCORE_MUSICNN_ONNX``, ``ENCORE_MUSICNN_WEIGHTS`` and ``ENCORE_FACTORS``. Each is refused quickly with
a clear message (analysis off; radio on audio alone), without reading a byte of it: bounded memory,
no hang, no traceback."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_helpers import REPO

TIMEOUT = 60  # a hang shows as a timeout; the refusals take a few seconds (torch's import)
MAX_RSS_MB = 1500  # the refusals stay near the interpreter's and torch's own size (reading /dev/zero: 3.8 GB)


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, str, float, float]:
    """Run main.py; (exit code, stdout + stderr, seconds, peak RSS in MB of that very process)."""
    out = tmp_path / "out.txt"
    with open(out, "wb") as fh:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), *args],
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            # a guard for the machine when the bug is back: MemoryError at 4 GB instead of swapping
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30)),
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > TIMEOUT:
                proc.kill()
                os.wait4(proc.pid, 0)
                pytest.fail(f"{args[0]} hung on a special file: {out.read_text(errors='replace')}")
            time.sleep(0.05)
        seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out.read_text(errors="replace"), seconds, usage.ru_maxrss / 1024


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "model.fifo"
    os.mkfifo(path)
    return path


def _special(kind: str, fifo: Path) -> str:
    return "/dev/zero" if kind == "zero" else str(fifo)


@pytest.mark.parametrize("kind", ["zero", "fifo"])
@pytest.mark.parametrize("variable", ["ENCORE_MUSICNN_ONNX", "ENCORE_MUSICNN_WEIGHTS"])
def test_a_cnn_path_naming_a_special_file_turns_analysis_off(variable, kind, fifo, corpus_store, tmp_path):
    db = tmp_path / "encore.db"
    corpus_store.checkpoint()
    shutil.copyfile(corpus_store.path, db)
    env = {variable: _special(kind, fifo)}
    code, out, seconds, rss = _run(["analyze", "--db", str(db), "--limit", "1", "--quiet"], env, tmp_path)
    assert "Traceback" not in out, out
    assert code == 2, out
    assert "not a regular file" in out and "analysis is off" in out, out
    assert rss < MAX_RSS_MB, (rss, out)
    code, out, seconds, rss = _run(
        ["sounds-like", "--db", str(db), "Timothy Pinkham - Victory"], env, tmp_path
    )
    assert "Traceback" not in out, out
    assert code == 1, out
    assert "not a regular file" in out and "analysis is off" in out, out
    assert rss < MAX_RSS_MB, (rss, out)


@pytest.mark.parametrize("kind", ["zero", "fifo"])
def test_a_factor_bundle_path_naming_a_special_file_leaves_the_radio_on_audio_alone(
    kind, fifo, analyzed_corpus_db, tmp_path
):
    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    env = {"ENCORE_FACTORS": _special(kind, fifo)}
    code, out, seconds, rss = _run(
        ["radio", "--db", str(db), "--n", "5", "--no-analyze", "Timothy Pinkham - Victory"], env, tmp_path
    )
    assert "Traceback" not in out, out
    assert code == 0, out
    assert "not a regular file" in out and "audio alone" in out, out
    assert "Victory" in out
    assert rss < MAX_RSS_MB, (rss, out)


def test_the_reader_refuses_special_and_oversized_files_before_reading(fifo, tmp_path):
    from player.files import read_regular

    for path in ("/dev/zero", fifo):
        with pytest.raises(OSError, match="not a regular file"):
            read_regular(path, 2**20)
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(2**20 + 1)
    with pytest.raises(OSError, match="larger than"):
        read_regular(big, 2**20)
    assert read_regular(big, 2**21) == bytes(2**20 + 1)
