"""MPRIS2 over a private D-Bus session bus: what playerctl and desktop widgets see, and control.

A private ``dbus-daemon --session`` is started for the test; the window's MPRIS object is registered on
a connection to it, and a separate process (``dbus-send``) reads properties and calls methods, exactly
as a desktop client would.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtDBus import QDBusConnection

from player.store import Store
from player.store.tracks import find_track
from ui.mpris import SERVICE, Mpris
from ui.mpris_object import OBJECT_PATH, PLAYER_IFACE
from ui.settings import UiSettings

WAIT = 30_000


def _dbus_send(qtbot, address: str, *args: str) -> str:
    """Run dbus-send in a thread while the Qt event loop keeps serving the exported object."""
    out: dict[str, subprocess.CompletedProcess] = {}

    def run() -> None:
        out["proc"] = subprocess.run(
            ["dbus-send", f"--bus={address}", "--print-reply", f"--dest={SERVICE}", OBJECT_PATH, *args],
            capture_output=True,
            text=True,
            timeout=20,
        )

    thread = threading.Thread(target=run)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=WAIT)
    proc = out["proc"]
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _get(qtbot, address: str, name: str) -> str:
    return _dbus_send(
        qtbot, address, "org.freedesktop.DBus.Properties.Get", f"string:{PLAYER_IFACE}", f"string:{name}"
    )


def test_mpris_properties_and_control(qtbot, copy_corpus_store, session_bus, monkeypatch):
    from ui.main_window import MainWindow

    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")
    db = Path(copy_corpus_store.path)
    copy_corpus_store.close()
    with Store.open(db) as s:
        settings = UiSettings(first_run_done=True, analysis_enabled=False, scan_on_start=False)
        settings.save(s)
    store = Store.open(db)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.libraryLoaded, timeout=WAIT):
        window.start()
    bus = QDBusConnection.connectToBus(session_bus, "encore-test-bus")
    assert bus.isConnected()
    if window.mpris is not None:
        window.mpris.unregister()
    window.mpris = Mpris(window, bus=bus)
    try:
        assert window.mpris.register()
        assert window.mpris.service == SERVICE
        assert '"Stopped"' in _get(qtbot, session_bus, "PlaybackStatus")

        track = find_track(store, "Weight of Revenge")
        window.play_tracks([track["id"]], 0)
        qtbot.waitUntil(lambda: window.mpris.playback_status() == "Playing", timeout=WAIT)
        qtbot.waitUntil(lambda: window.current_entry is not None, timeout=WAIT)
        assert '"Playing"' in _get(qtbot, session_bus, "PlaybackStatus")
        metadata = _get(qtbot, session_bus, "Metadata")
        assert "xesam:title" in metadata and '"Weight of Revenge"' in metadata
        assert '"Doug Kaufman"' in metadata and "mpris:trackid" in metadata and "mpris:length" in metadata
        # The spec types mpris:length as int64 ("x"); PySide would send a short track's length as int32.
        length = metadata.split('"mpris:length"', 1)[1].split(")", 1)[0]
        assert "int64" in length and "int32" not in length, length
        micros = int(length.split("int64", 1)[1].split()[0])
        assert abs(micros - track["duration"] * 1e6) < 1e6
        identity = _dbus_send(
            qtbot,
            session_bus,
            "org.freedesktop.DBus.Properties.Get",
            "string:org.mpris.MediaPlayer2",
            "string:Identity",
        )
        assert '"Encore"' in identity

        _dbus_send(qtbot, session_bus, f"{PLAYER_IFACE}.PlayPause")
        qtbot.waitUntil(lambda: window.controller.player.state == "paused", timeout=WAIT)
        assert '"Paused"' in _get(qtbot, session_bus, "PlaybackStatus")
        _dbus_send(qtbot, session_bus, f"{PLAYER_IFACE}.Play")
        qtbot.waitUntil(lambda: window.controller.player.state == "playing", timeout=WAIT)
        _dbus_send(
            qtbot,
            session_bus,
            "org.freedesktop.DBus.Properties.Set",
            f"string:{PLAYER_IFACE}",
            "string:Volume",
            "variant:double:0.4",
        )
        qtbot.waitUntil(lambda: window.settings.volume == 40, timeout=WAIT)
        assert window.now_playing.volume.value() == 40
        # Kept at once, not only at quit (a walk: killed mid-play, Encore came back at 100 %).
        qtbot.waitUntil(lambda: UiSettings.load(store).volume == 40, timeout=WAIT)
        # Shuffle and repeat: set over D-Bus, shown on the buttons, read back.
        assert "false" in _get(qtbot, session_bus, "Shuffle") and '"None"' in _get(
            qtbot, session_bus, "LoopStatus"
        )
        for name, value in (("Shuffle", "variant:boolean:true"), ("LoopStatus", "variant:string:Track")):
            _dbus_send(
                qtbot,
                session_bus,
                "org.freedesktop.DBus.Properties.Set",
                f"string:{PLAYER_IFACE}",
                f"string:{name}",
                value,
            )
        qtbot.waitUntil(lambda: window.controller.queue.repeat == "one", timeout=WAIT)
        assert window.controller.queue.shuffle
        qtbot.waitUntil(lambda: window.now_playing.shuffle_button.isChecked(), timeout=WAIT)
        assert window.now_playing.repeat_mode == "one"
        assert "true" in _get(qtbot, session_bus, "Shuffle") and '"Track"' in _get(
            qtbot, session_bus, "LoopStatus"
        )
        window.now_playing.repeat_button.click()  # one → off
        assert window.controller.queue.repeat == "off"
        assert '"None"' in _get(qtbot, session_bus, "LoopStatus")
        # The playing entry removed from the queue (it plays on), then Next: nothing is left to play, and
        # the desktop is told so (a walk saw the last title stay, with "Nothing playing" in the window).
        queue = window.controller.queue
        queue.take([queue.current.id])
        window.next()
        qtbot.waitUntil(lambda: window.current_entry is None, timeout=WAIT)
        assert '"Stopped"' in _get(qtbot, session_bus, "PlaybackStatus")
        metadata = _get(qtbot, session_bus, "Metadata")
        assert "mpris:trackid" in metadata and "xesam:title" not in metadata
    finally:
        window.mpris.unregister()
        window.shutdown()
        store.close()
        QDBusConnection.disconnectFromBus("encore-test-bus")
