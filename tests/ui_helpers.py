"""Shared helpers of the desktop-UI tests: open the main window on a database, settings, small libraries.

The windows use the real libvlc player with its silent ``adummy`` output (set by ``silent_audio``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from player.store import Store
from ui.settings import UiSettings

WAIT = 30_000
WESNOTH = "wesnoth-1.16-music/games/wesnoth/1.16/data/core/music"
DRASCULA = "drascula-music/scummvm/drascula/audio"


def set_ui_settings(db_path: Path, **values: Any) -> None:
    with Store.open(db_path) as store:
        settings = UiSettings.load(store)
        for key, value in values.items():
            setattr(settings, key, value)
        settings.save(store)


def open_window(qtbot: Any, db_path: Path, **kwargs: Any) -> tuple[Any, Store]:
    from ui.main_window import MainWindow

    store = Store.open(db_path)
    window = MainWindow(store, **kwargs)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.libraryLoaded, timeout=WAIT):
        window.start()
    return window, store


def close_window(window: Any, store: Store) -> None:
    window.shutdown()
    store.close()


def small_library(
    corpus_dir: Path, music: Path, db_path: Path, *, wesnoth: int = 4, drascula: int = 0
) -> Path:
    """Copy a few real tracks into ``music`` (private files a test may move or delete), scan them into
    ``db_path`` and mark the UI past its first run with no background scan or analysis."""
    from player.library import scan

    music.mkdir(parents=True, exist_ok=True)
    picks = sorted((corpus_dir / WESNOTH).glob("*.ogg"))[:wesnoth]
    for f in picks:
        shutil.copy(f, music / f.name)
    if drascula:
        untagged = music / "drascula"
        untagged.mkdir(exist_ok=True)
        for f in sorted((corpus_dir / DRASCULA).glob("*.ogg"))[:drascula]:
            shutil.copy(f, untagged / f.name)
    with Store.open(db_path) as store:
        scan(store, [music])
    set_ui_settings(
        db_path, first_run_done=True, analysis_enabled=False, scan_on_start=False, folders=[str(music)]
    )
    return db_path
