"""Track-change notifications over a real, private D-Bus session bus: a separate process
(``tests/fake_notifications.py``) owns ``org.freedesktop.Notifications`` and accepts ``Notify`` only with
the spec's exact signature, as strict daemons do; it records every call it gets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtDBus import QDBusConnection
from PySide6.QtGui import QColor, QImage
from ui_helpers import WAIT, close_window, open_window, small_library

FAKE = Path(__file__).resolve().parent / "fake_notifications.py"


@pytest.fixture
def daemon(session_bus, tmp_path):
    """The fake notification daemon on the private bus; yields a function reading its calls."""
    log = tmp_path / "notify-calls.jsonl"
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=session_bus, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, str(FAKE), str(log)], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"

    def calls() -> list[dict]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    yield calls
    proc.terminate()
    proc.wait(10)


def _notifier(session_bus: str, name: str):
    from ui.notifications import TrackNotifier

    bus = QDBusConnection.connectToBus(session_bus, name)
    assert bus.isConnected()
    return TrackNotifier(bus=bus)


def test_a_started_track_is_announced_and_its_cover_updates_the_same_notification(qtbot, daemon, session_bus):
    notifier = _notifier(session_bus, "encore-notify-unit")
    assert notifier.available()
    with qtbot.waitSignal(notifier.sent, timeout=WAIT) as sent:
        assert notifier.track_started("Rock & Roll <live>", "Muldjord", "Chaos God")
    first = daemon()[0]
    assert sent.args == [1] and notifier.last_id == 1
    assert first["app_name"] == "Encore" and first["app_icon"] == "encore"
    assert first["summary"] == "Rock & Roll <live>"  # the summary is plain text
    assert first["body"] == "Muldjord — Chaos God"
    assert first["replaces_id"] == 0 and first["actions"] == []
    assert first["hints"]["desktop-entry"] == "encore"
    cover = QImage(32, 32, QImage.Format.Format_RGB32)
    cover.fill(QColor("#3b5bdb"))
    with qtbot.waitSignal(notifier.sent, timeout=WAIT):
        assert notifier.cover_loaded(cover)
    second = daemon()[1]
    assert second["replaces_id"] == 1 and second["summary"] == first["summary"]  # updated, not stacked
    image = second["hints"]["image-path"]
    assert image.startswith("file://") and QImage(image[len("file://") :]).width() == 32
    # The body is markup for this daemon (it says "body-markup"): an ampersand arrives escaped.
    with qtbot.waitSignal(notifier.sent, timeout=WAIT):
        notifier.track_started("Next", "Simon & Garfunkel", "")
    assert daemon()[2]["body"] == "Simon &amp; Garfunkel" and daemon()[2]["replaces_id"] == 1
    notifier.skip()  # a track that is not announced: its cover leaves the last notification alone
    assert not notifier.cover_loaded(cover)
    qtbot.wait(300)
    assert len(daemon()) == 3
    notifier.close()


def test_the_window_announces_tracks_only_when_not_in_front_and_when_enabled(
    qtbot, daemon, session_bus, corpus_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")
    db = small_library(corpus_dir, tmp_path / "music", tmp_path / "encore.db", wesnoth=3)
    window, store = open_window(qtbot, db)
    try:
        assert window.notifier is not None and window.settings.notify_tracks  # on by default
        window.notifier = _notifier(session_bus, "encore-notify-window")
        ids = window.library.model.visible_ids()
        window.hide()  # closed to the tray: the user cannot see what starts
        window.play_tracks(ids, 0)
        qtbot.waitUntil(lambda: len(daemon()) == 1, timeout=WAIT)
        row = window.library.model.track(ids[0])
        from ui.library_rows import row_artist, row_title

        assert daemon()[0]["summary"] == row_title(row)
        assert daemon()[0]["body"].startswith(row_artist(row))
        window.next()
        qtbot.waitUntil(lambda: window._current_track_id == ids[1], timeout=WAIT)
        qtbot.waitUntil(lambda: len(daemon()) == 2, timeout=WAIT)
        assert daemon()[0]["replaces_id"] == 0 and daemon()[1]["replaces_id"] == 1  # one bubble, updated
        window.settings.notify_tracks = False  # Settings ▸ Desktop ▸ notifications off
        window.next()
        qtbot.waitUntil(lambda: window._current_track_id == ids[2], timeout=WAIT)
        qtbot.wait(500)
        assert len(daemon()) == 2
    finally:
        close_window(window, store)


def test_settings_say_why_no_notification_shows_without_a_daemon(qtbot, session_bus, tmp_path):
    """Issue 26 item 10: on a desktop without a notification service nothing appeared and nothing said
    why; the Settings dialog now says so under the option (and says nothing once a daemon runs)."""
    from ui.settings import UiSettings
    from ui.settings_dialog import SettingsDialog

    notifier = _notifier(session_bus, "no-daemon")
    assert not notifier.available()  # a real session bus, but nobody owns the Notifications name
    dialog = SettingsDialog(UiSettings(), None, notifications=notifier.available())
    qtbot.addWidget(dialog)
    assert not dialog.no_notifications.isHidden()
    assert "No notification service" in dialog.no_notifications.text()
    shown = SettingsDialog(UiSettings(), None, notifications=True)
    qtbot.addWidget(shown)
    assert shown.no_notifications.isHidden()
    qtbot.waitUntil(lambda: not notifier._watchers, timeout=WAIT)  # the refused GetCapabilities came back
    notifier.close()


def test_a_dropped_notifier_is_freed_at_once_not_by_the_cycle_collector(qtbot, session_bus):
    """Its pending D-Bus calls hold nothing that refers back to it: the cycle collector, running at any
    moment (inside another object's D-Bus reply), never deletes it and its pending calls."""
    import gc
    import weakref

    gc.disable()
    try:
        notifier = _notifier(session_bus, "encore-notify-dropped")
        assert notifier._watchers  # GetCapabilities is pending
        alive = weakref.ref(notifier)
        del notifier
        assert alive() is None
    finally:
        gc.enable()
