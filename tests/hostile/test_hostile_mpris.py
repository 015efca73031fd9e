"""MPRIS writes and calls of the wrong type (issue 27, item 14), through a real private session bus.

Any process on the session bus may talk to Encore's MPRIS object: ``Volume = nan`` once raised a
ValueError on the app's stderr while the D-Bus call reported success, and ``Shuffle = "yes"`` switched
shuffle on. Each wrong write or call now gets a D-Bus error and changes nothing; right ones still work.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtDBus import QDBusConnection

from player.store import Store
from ui.mpris import SERVICE, Mpris
from ui.mpris_object import OBJECT_PATH, PLAYER_IFACE
from ui.settings import UiSettings

WAIT = 30_000


def _send(qtbot, address: str, *args: str) -> subprocess.CompletedProcess:
    """dbus-send in a thread while the Qt event loop serves the exported object."""
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
    return out["proc"]


def _set(qtbot, address: str, name: str, value: str) -> subprocess.CompletedProcess:
    return _send(
        qtbot,
        address,
        "org.freedesktop.DBus.Properties.Set",
        f"string:{PLAYER_IFACE}",
        f"string:{name}",
        value,
    )


def test_wrong_types_and_non_finite_values_get_a_dbus_error(
    qtbot, copy_corpus_store, session_bus, monkeypatch, capfd
):
    from ui.main_window import MainWindow

    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")
    db = Path(copy_corpus_store.path)
    copy_corpus_store.close()
    with Store.open(db) as s:
        UiSettings(first_run_done=True, analysis_enabled=False, scan_on_start=False).save(s)
    store = Store.open(db)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.libraryLoaded, timeout=WAIT):
        window.start()
    bus = QDBusConnection.connectToBus(session_bus, "encore-hostile-bus")
    assert bus.isConnected()
    if window.mpris is not None:
        window.mpris.unregister()
    window.mpris = Mpris(window, bus=bus)
    try:
        assert window.mpris.register()
        ok = _set(qtbot, session_bus, "Volume", "variant:double:0.3")
        assert ok.returncode == 0, ok.stderr
        qtbot.waitUntil(lambda: window.settings.volume == 30, timeout=WAIT)
        capfd.readouterr()

        refused = [
            ("Volume", "variant:double:nan"),
            ("Volume", "variant:double:inf"),
            ("Volume", "variant:double:-inf"),
            ("Volume", "variant:string:0.9"),
            ("Volume", "variant:boolean:true"),
            ("Shuffle", "variant:string:yes"),
            ("Shuffle", "variant:int32:1"),
            ("LoopStatus", "variant:string:Forever"),
            ("LoopStatus", "variant:int32:2"),
        ]
        for name, value in refused:
            proc = _set(qtbot, session_bus, name, value)
            assert proc.returncode != 0, (name, value, proc.stdout)
            assert "org.freedesktop.DBus.Error.InvalidArgs" in proc.stderr, (name, value, proc.stderr)
        read_only = _set(qtbot, session_bus, "Rate", "variant:double:2.0")
        assert read_only.returncode != 0 and "PropertyReadOnly" in read_only.stderr, read_only.stderr
        unknown = _set(qtbot, session_bus, "Loudness", "variant:double:0.5")
        assert unknown.returncode != 0, unknown.stdout
        seek = _send(qtbot, session_bus, f"{PLAYER_IFACE}.Seek", "string:far")
        assert seek.returncode != 0 and "InvalidArgs" in seek.stderr, seek.stderr

        assert window.settings.volume == 30
        assert not window.controller.queue.shuffle
        assert window.controller.queue.repeat == "off"
        err = capfd.readouterr().err
        assert "Traceback" not in err and "Error" not in err, err
        # right writes still work after the refusals
        ok = _set(qtbot, session_bus, "Shuffle", "variant:boolean:true")
        assert ok.returncode == 0, ok.stderr
        qtbot.waitUntil(lambda: window.controller.queue.shuffle, timeout=WAIT)
        ok = _set(qtbot, session_bus, "Volume", "variant:double:1.5")  # the spec clamps a finite volume
        assert ok.returncode == 0, ok.stderr
        qtbot.waitUntil(lambda: window.settings.volume == 100, timeout=WAIT)
        every = _send(qtbot, session_bus, "org.freedesktop.DBus.Properties.GetAll", f"string:{PLAYER_IFACE}")
        assert every.returncode == 0 and '"Volume"' in every.stdout and "int64" in every.stdout, every
        xml = _send(qtbot, session_bus, "org.freedesktop.DBus.Introspectable.Introspect")
        assert 'property name="Volume" type="d" access="readwrite"' in xml.stdout, xml
    finally:
        window.mpris.unregister()
        window.shutdown()
