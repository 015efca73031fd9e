"""Opening an artist's page in the browser and copying a name: the two actions a discovery offers.

One place for both, so the "For you" view and the "Fans also like" panel behave alike (and tests can
stub ``QDesktopServices.openUrl``).
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication


def open_link(url: str | None) -> bool:
    """Open ``url`` in the user's browser; False when there is none or the desktop refused."""
    if not url:
        return False
    return bool(QDesktopServices.openUrl(QUrl(url)))


def copy_text(text: str) -> None:
    """Put ``text`` on the clipboard."""
    QGuiApplication.clipboard().setText(text)
