"""A stand-in for the desktop's notification daemon, for tests: run as a process on a session bus, it
owns ``org.freedesktop.Notifications`` and answers ``Notify`` only for the spec's exact signature
(``susssasa{sv}i``, QtDBus dispatches by it), appending each call to a JSON-lines file.

    DBUS_SESSION_BUS_ADDRESS=... python tests/fake_notifications.py CALLS.jsonl
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, Slot
from PySide6.QtDBus import QDBusAbstractAdaptor, QDBusConnection


@ClassInfo({"D-Bus Interface": "org.freedesktop.Notifications"})
class Notifications(QDBusAbstractAdaptor):
    def __init__(self, parent: QObject, log_path: str) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self.count = 0

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(self, app_name, replaces_id, app_icon, summary, body, actions, hints, timeout):  # noqa: N802
        self.count += 1
        call = {
            "app_name": app_name,
            "replaces_id": int(replaces_id),
            "app_icon": app_icon,
            "summary": summary,
            "body": body,
            "actions": list(actions),
            "hints": {
                str(k): v if isinstance(v, (str, bool, int, float)) else str(v) for k, v in hints.items()
            },
            "expire_timeout": int(timeout),
        }
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(call) + "\n")
        return int(replaces_id) or self.count

    @Slot(result="QStringList")
    def GetCapabilities(self):  # noqa: N802
        return ["body", "body-markup", "icon-static"]

    @Slot(result="QStringList")
    def GetServerInformation(self):  # noqa: N802 (simplified: the test never asks)
        return ["fake", "encore-tests", "1", "1.2"]


def main() -> int:
    app = QCoreApplication(sys.argv[:1])
    holder = QObject()
    Notifications(holder, sys.argv[1])
    bus = QDBusConnection.sessionBus()
    if not (
        bus.registerObject("/org/freedesktop/Notifications", holder)
        and bus.registerService("org.freedesktop.Notifications")
    ):
        print("cannot register", bus.lastError().message(), flush=True)
        return 1
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
