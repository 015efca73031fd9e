"""Start-up stays light: nothing heavy is imported before the window shows.

The window's modules (and main.py with every subcommand module) must not import torch, librosa,
implicit, scipy — nor numpy or libvlc, which come later, after the first paint. Checked in a fresh
interpreter, exactly as ``python main.py`` starts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "librosa", "implicit", "scipy", "numpy", "vlc", "sqlite_utils", "mutagen")


def test_window_modules_import_nothing_heavy():
    code = (
        "import sys; import main; main.build_parser(); import ui.app, ui.main_window; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "", f"imported before the window shows: {proc.stdout.strip()}"


def test_pyside_keeps_none_alive(qapp):
    """PySide6 6.12.0 decrements None's reference count on every Qt call that returns None; on Python
    3.11 (where None is not immortal) the app then aborts with "none_dealloc" within minutes of use.
    pyproject.toml excludes that version; this guards against an upgrade bringing the bug back."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(1000):
        label.setText("x")
    assert sys.getrefcount(None) - before > -100


def test_without_a_graphical_session_the_app_says_so(tmp_path):
    """No display: a clear message and exit code 1, not Qt's abort and core dump."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--db", str(tmp_path / "encore.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "no graphical session" in proc.stderr


def test_desktop_install_writes_launcher_entry_and_icon(tmp_path):
    """scripts/install_desktop.sh under XDG paths: a working `encore` launcher, a .desktop, the icon."""
    import configparser
    import os
    import subprocess

    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("ENCORE_BIN_DIR", None)
    subprocess.run([str(repo / "scripts" / "install_desktop.sh")], env=env, check=True, capture_output=True)
    launcher = tmp_path / ".local" / "bin" / "encore"
    entry = tmp_path / "data" / "applications" / "encore.desktop"
    assert (tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "encore.svg").stat().st_size > 100
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str
    desktop.read(entry)
    section = desktop["Desktop Entry"]
    assert (
        section["Exec"] == f"{launcher} %F"
        and section["Icon"] == "encore"
        and "audio/ogg" in section["MimeType"]
    )
    out = subprocess.run([str(launcher), "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "usage" in out.stdout.lower()
