"""Closing to the tray: offscreen (no tray can exist) and with a real tray host (trayer under Xvfb)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from ui_helpers import close_window, open_window, small_library

from player.playback.base import STOPPED


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


def test_without_a_tray_closing_quits_even_when_the_tray_was_chosen(qtbot, corpus_dir, tmp_path):
    db = small_library(corpus_dir, tmp_path / "music", tmp_path / "lib.db", wesnoth=2)
    window, store = open_window(qtbot, db)
    try:
        assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen
        # The icon still asks to be shown, so that a tray host starting later embeds it.
        assert window.tray.icon.isVisible()
        assert not window.tray.available
        window.settings.close_to_tray = True
        assert not window.tray.keep_running()
        window.close()  # a hidden window without a tray icon could never come back: quit
        assert window._shut and not window.isVisible()
        assert window.controller.player.state == STOPPED
    finally:
        close_window(window, store)


_CHILD = textwrap.dedent(
    """
    import os, subprocess, sys, time
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon
    from player.store import Store
    from ui.main_window import MainWindow

    app = QApplication([])
    store = Store.open(sys.argv[1])
    window = MainWindow(store)
    window.show()
    window.start()
    # The tray host starts after Encore (a panel that comes up later at login, or restarts).
    tray = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait(predicate, seconds=30):
        end = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > end:
                raise SystemExit("timed out")
            app.processEvents()
            time.sleep(0.02)

    wait(lambda: window.tray.available)  # trayer embedded the icon
    wait(lambda: window.library.model.all_rows())
    window.controller.play_tracks([window.library.model.all_rows()[0][0]])
    wait(lambda: window.controller.player.state == "playing")
    window.settings.close_to_tray = True
    window.close()
    wait(lambda: not window.isVisible(), 5)
    time.sleep(0.5)
    app.processEvents()
    shut = lambda: getattr(window, "_shut", False)  # noqa: E731 - set by MainWindow.shutdown
    assert not shut() and window.controller.player.state == "playing", "kept playing in the tray"
    window.tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)  # what a click sends
    wait(lambda: window.isVisible(), 5)
    window.settings.close_to_tray = False
    window.close()
    assert shut(), "closing quits when the tray is not chosen"
    print("TRAY-OK", flush=True)
    store.close()
    tray.terminate()
    tray.wait(10)
    os._exit(0)  # the window is shut down; skip the interpreter's teardown of Qt objects
    """
)


def test_close_to_a_real_tray_hides_keeps_playing_and_the_icon_brings_it_back(corpus_dir, tmp_path):
    db = small_library(corpus_dir, tmp_path / "music", tmp_path / "lib.db", wesnoth=2)
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        display = ":" + xvfb.stdout.readline().strip()
        env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}  # XEmbed tray
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
        trayer = ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "100"]
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(db), *trayer],
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "TRAY-OK" in done.stdout, done.stdout + done.stderr
    finally:
        xvfb.terminate()
        xvfb.wait(10)


_QUIT_CHILD = textwrap.dedent(
    """
    import subprocess, sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    import ui.main_window as main_window
    from ui.app import run_app

    tray_host = []
    original_start = main_window.MainWindow.start

    def start(window):
        original_start(window)
        tray_host.append(subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 30

        def step():
            if time.monotonic() > deadline:
                print("no tray", flush=True)
                QApplication.instance().exit(3)
            elif not window.tray.available:
                QTimer.singleShot(50, step)
            elif window.isVisible():
                window.settings.close_to_tray = True
                window.close()  # the x of the title bar: Encore goes on in the tray
                QTimer.singleShot(500, step)
            else:
                print("HIDDEN", flush=True)
                quit_action = next(a for a in window.tray.menu.actions() if a.text() == "Quit")
                quit_action.trigger()  # what the tray menu's Quit sends

        QTimer.singleShot(0, step)

    main_window.MainWindow.start = start
    code = run_app(sys.argv[1])
    print("EXITED", code, flush=True)
    for host in tray_host:
        host.terminate()
        host.wait(10)
    """
)


def test_quit_from_the_tray_after_closing_to_it_ends_the_process(corpus_dir, tmp_path):
    """Issue 26 item 1: the window hidden in the tray, the tray's Quit must end the process (it kept
    running with no icon, no window and no sound: closing an already hidden window is not "the last
    window closed", so Qt's event loop went on)."""
    db = small_library(corpus_dir, tmp_path / "music", tmp_path / "lib.db", wesnoth=2)
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        display = ":" + xvfb.stdout.readline().strip()
        env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}  # XEmbed tray
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
        trayer = ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "100"]
        child = subprocess.Popen(
            [sys.executable, "-c", _QUIT_CHILD, str(db), *trayer],
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            out, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            pytest.fail("the process kept running after Quit from the tray:\n" + out + err)
        assert "HIDDEN" in out, out + err
        assert "EXITED 0" in out, out + err
        assert child.returncode == 0, out + err
    finally:
        xvfb.terminate()
        xvfb.wait(10)
