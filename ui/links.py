"""Opening an artist's page in the browser and copying a name: the two actions a discovery offers.

One place for both, so the "For you" view and the "Fans also like" panel behave alike (and tests can
stub ``QDesktopServices.openUrl``).
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QCursor, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QMainWindow, QToolTip


def open_link(url: str | None) -> bool:
    """Open ``url`` in the user's browser; False when there is none or the desktop refused, and then the
    link is copied and a tip by the pointer says so (found in a walk of the app: a double-click on a
    discovery did nothing at all on a desktop without a browser)."""
    if not url:
        return False
    if QDesktopServices.openUrl(QUrl(url)):
        return True
    copy_text(url)
    text = "No web browser opened it: the link is copied to the clipboard."
    QToolTip.showText(QCursor.pos(), f"{text}\n{url}")
    # The tip alone went unseen (a walk: the double-click's release or the closing menu hides it at once);
    # the window's status line keeps it for a while.
    tell(f"{text} ({url})", 15_000)
    return False


def tell(text: str, ms: int = 8000) -> None:
    """Say ``text`` in the status line of Encore's window (every shown one)."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMainWindow) and widget.isVisible():
            widget.statusBar().showMessage(text, ms)


def copy_text(text: str) -> None:
    """Put ``text`` on the clipboard."""
    QGuiApplication.clipboard().setText(text)


def copy_name(name: str) -> None:
    """A discovery's "Copy name": copied, and said (a walk: the status line still named the artist whose
    link was copied before, and the copy itself said nothing)."""
    copy_text(name)
    tell(f"Copied “{name}” to the clipboard.")


def show_item(path: str) -> bool:
    """Ask the desktop's file manager to show ``path`` selected in its folder (the freedesktop
    ``org.freedesktop.FileManager1.ShowItems`` call that Nautilus, Dolphin, Nemo and Thunar answer);
    False when no file manager offers it on the session bus."""
    from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage

    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    service = "org.freedesktop.FileManager1"
    names = bus.interface()
    registered = names.isServiceRegistered(service) if names is not None else None
    activatable = service in (names.call("ListActivatableNames").arguments() or [[]])[0] if names else False
    if not (registered is not None and registered.value()) and not activatable:
        return False
    manager = QDBusInterface(service, "/org/freedesktop/FileManager1", service, bus)
    reply = manager.call("ShowItems", [QUrl.fromLocalFile(path).toString()], "")
    return reply.type() != QDBusMessage.MessageType.ErrorMessage
