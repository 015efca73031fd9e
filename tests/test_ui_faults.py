"""Database faults in the desktop app (issue 12, item 4): a dialog, never an abort or a traceback.

At start-up: a damaged file, a newer schema or ``$ENCORE_HOME`` naming a file give a modal dialog with
the same sentence as the CLI, exit status 1 and an untouched file. A read-only database folder gives
that dialog too; a read-only file still shows the library and its first write gives the dialog (both
in a child process whose override capabilities are dropped, as root ignores file modes).
After the window opened: a real full disk (a small tmpfs) makes a write from the window fail; the
user sees the sentence in a dialog and the status bar, the app goes on, what was stored is intact,
and the same action works once there is space again. A page of garbage found while the library
loads gives a dialog and then ends the app with status 1, without writing to the file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from disk_helpers import fill_disk
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ui_helpers import WAIT, close_window, open_window, small_library

from player.store import Store
from player.store.ratings import track_rating
from player.store.tracks import iter_tracks

PAGE = 4096
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_app_answering_its_dialog(db: str | None) -> tuple[int, list[str]]:
    """``run_app`` in this process; the modal dialog it shows is read and closed as a user would."""
    from ui.app import run_app

    texts: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(50, answer)
            return
        texts.append(box.text())
        box.close()

    QTimer.singleShot(50, answer)
    return run_app(db), texts


def _damage(db: Path, how: str) -> None:
    data = bytearray(db.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 3 + 100]
    elif how == "header":
        data[:16] = b"Not SQLite here\0"
    db.write_bytes(bytes(data))


@pytest.fixture
def library_db(corpus_dir: Path, tmp_path: Path) -> Path:
    db = small_library(corpus_dir, tmp_path / "music", tmp_path / "db" / "encore.db")
    with Store.open(db) as store:
        store.checkpoint()
    return db


@pytest.mark.parametrize("how", ["truncated", "header"])
def test_a_damaged_database_at_start_up_is_a_dialog_and_left_alone(qapp, library_db, how):
    _damage(library_db, how)
    before = _digest(library_db)
    code, texts = _run_app_answering_its_dialog(str(library_db))
    assert code == 1 and len(texts) == 1
    assert str(library_db) in texts[0] and "damaged" in texts[0] and "has not changed it" in texts[0]
    assert _digest(library_db) == before


def test_a_newer_schema_at_start_up_is_a_dialog(qapp, library_db):
    conn = sqlite3.connect(library_db)
    conn.execute("UPDATE schema_version SET version = version + 5")
    conn.commit()
    conn.close()
    before = _digest(library_db)
    code, texts = _run_app_answering_its_dialog(str(library_db))
    assert code == 1 and len(texts) == 1 and "newer" in texts[0].lower()
    assert _digest(library_db) == before


def test_encore_home_naming_a_file_is_a_dialog(qapp, tmp_path, monkeypatch):
    home = tmp_path / "not-a-folder"
    home.write_text("")
    monkeypatch.setenv("ENCORE_HOME", str(home))
    code, texts = _run_app_answering_its_dialog(None)
    assert code == 1 and len(texts) == 1 and "is a file" in texts[0] and "ENCORE_HOME" in texts[0]


_CHILD = """
import sqlite3, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ui.app import create_app, run_app

db = sys.argv[1]
app = create_app()
clicked = []

def watch():
    for w in QApplication.topLevelWidgets():
        if w.objectName() == "encore-fault" and w.isVisible():
            print("DIALOG:", w.text().replace(chr(10), " "), flush=True)
            w.close()
            app.exit(5)
            return
        if type(w).__name__ == "MainWindow" and w.controller is not None and not clicked:
            clicked.append(True)  # the window is up: the user loves a track (a write)
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            (first,) = conn.execute("SELECT MIN(id) FROM tracks").fetchone()
            conn.close()
            QTimer.singleShot(0, lambda w=w: w.rate([first], 1))
    QTimer.singleShot(50, watch)

QTimer.singleShot(50, watch)
sys.exit(run_app(db))
"""


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database_is_a_dialog_at_the_first_write(library_db, what):
    """A read-only database says so in a dialog, at the open or at the first write."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("dropping root's override capabilities needs setpriv")
    prefix = (
        ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]
        if os.geteuid() == 0
        else []
    )
    before = _digest(library_db)
    target = library_db if what == "file" else library_db.parent
    mode = target.stat().st_mode
    target.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-c", _CHILD, str(library_db)],
            cwd=REPO,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        target.chmod(mode)
    # A read-only file: the window opens and the first write shows the dialog (the child then exits 5).
    # A read-only folder: SQLite cannot even make its journal, so it is the start-up dialog and status 1.
    assert proc.returncode == (5 if what == "file" else 1), proc.stdout + proc.stderr
    dialogs = [line for line in proc.stdout.splitlines() if line.startswith("DIALOG:")]
    assert len(dialogs) == 1 and "read-only" in dialogs[0] and str(library_db) in dialogs[0], proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    assert _digest(library_db) == before


def _wait_for_dialog(qtbot, reporter, count: int) -> str:
    qtbot.waitUntil(lambda: len(reporter.messages) >= count and reporter.dialog is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: reporter.dialog.isVisible(), timeout=WAIT)
    text = reporter.dialog.text()
    reporter.dialog.close()
    return text


def test_a_full_disk_after_the_window_opened_is_a_dialog_and_nothing_is_lost(qtbot, library_db, small_disk):
    from ui.faults import guard

    db = small_disk / "encore.db"
    shutil.copyfile(library_db, db)
    window, store = open_window(qtbot, db)
    reporter = guard(window)
    try:
        tracks = [int(t["id"]) for t in iter_tracks(store)]
        filler = fill_disk(small_disk)
        # A click that writes (love a track) on a full disk: Qt runs the slot, the fault reaches the user.
        QTimer.singleShot(0, lambda: window.rate([tracks[0]], 1))
        text = _wait_for_dialog(qtbot, reporter, 1)
        assert "full" in text and str(db) in text
        assert "full" in window.statusBar().currentMessage()
        assert window.isVisible()  # the app goes on
        filler.unlink()
        QTimer.singleShot(0, lambda: window.rate([tracks[0]], 1))  # the same click, with space again
        qtbot.waitUntil(lambda: track_rating(store, tracks[0]) == 1, timeout=WAIT)
        assert len(reporter.messages) == 1
    finally:
        reporter.uninstall()
        close_window(window, store)
    with Store.open(db) as check:  # nothing stored before was harmed
        assert check.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert sorted(int(t["id"]) for t in iter_tracks(check)) == sorted(tracks)
        assert track_rating(check, tracks[0]) == 1


def test_a_damaged_page_found_while_loading_is_a_dialog_then_exit(qtbot, library_db):
    from ui.faults import guard
    from ui.main_window import MainWindow

    conn = sqlite3.connect(library_db)
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tracks'").fetchone()[0]
    conn.close()
    data = bytearray(library_db.read_bytes())
    data[(page - 1) * PAGE : page * PAGE] = os.urandom(PAGE)
    library_db.write_bytes(bytes(data))
    before = _digest(library_db)
    try:
        store = Store.open(library_db)
    except Exception as exc:  # found at the open: the start-up dialog of the tests above
        pytest.skip(f"the open already refuses this file: {exc}")
    window = MainWindow(store)
    qtbot.addWidget(window)
    reporter = guard(window)
    exits: list[bool] = []
    reporter.fatal.connect(lambda: exits.append(True))
    try:
        window.show()
        window.start()
        qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible(), timeout=WAIT)
        text = reporter.dialog.text()
        assert "damaged" in text and "has not changed it" in text
        reporter.dialog.close()
        qtbot.waitUntil(lambda: bool(exits), timeout=WAIT)
    finally:
        reporter.uninstall()
        close_window(window, store)
    assert _digest(library_db) == before
