"""The desktop app's own settings, with documented defaults, persisted as JSON in the store's state.

Playback settings (crossfade, ReplayGain) belong to ``player.playback.settings.PlaybackSettings`` and
are saved there; this object holds what only the app uses: music folders, background analysis, radio
spacing overrides and the window's remembered geometry. Kept in the database (not QSettings) so that
one ``--db`` is one complete profile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from player.cli.library import APP_SETTINGS_KEY
from player.store import Store
from player.store.saved_settings import load_settings, save_settings

STATE_KEY = APP_SETTINGS_KEY  # `encore scan` with no PATH reads the folders from it
ANALYSIS_DEVICES = ("auto", "cpu", "cuda")


def default_music_folder() -> str:
    """The XDG music folder (``XDG_MUSIC_DIR`` from user-dirs.dirs), else ~/Music."""
    env = os.environ.get("XDG_MUSIC_DIR")
    if env:
        return os.path.expanduser(env)
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "user-dirs.dirs"
    try:
        for line in config.read_text(encoding="utf-8").splitlines():
            if line.startswith("XDG_MUSIC_DIR="):
                value = line.split("=", 1)[1].strip().strip('"')
                return value.replace("$HOME", str(Path.home()))
    except OSError:
        pass
    return str(Path.home() / "Music")


@dataclass
class UiSettings:
    #: Music folders scanned on start-up and from the settings dialog; empty = the first-run question.
    folders: list[str] = field(default_factory=list)
    #: Rescan the folders (incrementally) every time the app starts.
    scan_on_start: bool = True
    #: Analyse new tracks' audio in the background (needed for "sounds like" and a better radio).
    analysis_enabled: bool = True
    #: "auto" (CUDA when available), "cpu" or "cuda".
    analysis_device: str = "auto"
    #: Radio lean-back rules (None = the radio's own defaults): no artist / album again within N tracks.
    radio_artist_spacing: int | None = None
    radio_album_spacing: int | None = None
    #: The radio playing when the app was closed (seed track id and its label), resumed on start.
    radio_seed_id: int | None = None
    radio_label: str | None = None
    #: ... or the prompt and dial of the station from a prompt that was playing (``ui.stations_view``).
    radio_prompt: str | None = None
    radio_dial: int = 0
    #: Set once the first-run dialog was answered (even with no folder).
    first_run_done: bool = False
    #: Window geometry and splitter state (base64 of Qt's saveGeometry/saveState).
    geometry: str = ""
    window_state: str = ""
    splitters: dict[str, str] = field(default_factory=dict)
    volume: int = 100
    #: Pick up new, changed and removed files under the folders while the app runs.
    watch_folders: bool = True
    #: Closing the window with a tray icon keeps Encore playing in the tray.
    close_to_tray: bool = False
    #: The library shows "tracks" (the table) or "albums" (the cover grid); kept across restarts.
    library_view: str = "tracks"
    #: A desktop notification when a track starts while the window is not in front (``ui.notifications``).
    notify_tracks: bool = True

    @classmethod
    def load(cls, store: Store) -> UiSettings:
        settings = load_settings(store, STATE_KEY, cls)
        if settings.analysis_device not in ANALYSIS_DEVICES:
            settings.analysis_device = "auto"
        return settings

    def save(self, store: Store) -> None:
        save_settings(store, STATE_KEY, self)

    def radio_settings(self) -> Any:
        """The radio's settings with this app's spacing overrides (imports the radio lazily)."""
        from recommender.radio.station import RadioSettings

        settings = RadioSettings()
        if self.radio_artist_spacing is not None:
            settings.artist_spacing = int(self.radio_artist_spacing)
        if self.radio_album_spacing is not None:
            settings.album_spacing = int(self.radio_album_spacing)
        return settings
