"""File and folder dialogs that never open the files they list.

Why: Qt's own (non-native) file dialog asks ``QMimeDatabase`` for every listed file's icon and type,
and for a name without a known extension (``encore.db``) that means opening the file to sniff its
content, then closing it. Closing *any* descriptor of a file drops every POSIX lock this process holds
on it, and SQLite's locks on an open WAL database are POSIX locks: after the dialog has merely shown
the database's folder, the next ``encore love ...`` or ``encore stats`` run from a terminal sees no
other user, checkpoints and deletes the WAL and its shared memory, and the app's following queries fail
with "disk I/O error" (seen under Xvfb while adding a music folder next to the database).

So these helpers give the dialog an icon provider that decides from the name alone. A native dialog
(GTK, KDE, the XDG portal) runs in another process and is unaffected either way.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QFileInfo
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QStyle, QWidget


class NameOnlyIconProvider(QAbstractFileIconProvider):
    """Folder or file icon, and a type name from the extension: nothing is read from the disk."""

    def icon(self, what: Any) -> QIcon:  # both overloads: an IconType or a QFileInfo
        style = QApplication.style()
        folder = what == QAbstractFileIconProvider.IconType.Folder or (
            isinstance(what, QFileInfo) and what.isDir()
        )
        if isinstance(what, QAbstractFileIconProvider.IconType) and what in (
            QAbstractFileIconProvider.IconType.Computer,
            QAbstractFileIconProvider.IconType.Drive,
        ):
            return style.standardIcon(QStyle.StandardPixmap.SP_DriveHDIcon)
        return style.standardIcon(
            QStyle.StandardPixmap.SP_DirIcon if folder else QStyle.StandardPixmap.SP_FileIcon
        )

    def type(self, info: QFileInfo) -> str:
        if info.isDir():
            return "Folder"
        suffix = info.suffix()
        return f"{suffix.upper()} file" if suffix else "File"


def _dialog(parent: QWidget | None, caption: str, directory: str, name_filter: str = "") -> QFileDialog:
    dialog = QFileDialog(parent, caption, directory, name_filter)
    provider = NameOnlyIconProvider()
    dialog._icon_provider = provider  # the dialog does not own it: keep it alive as long as the dialog
    dialog.setIconProvider(provider)
    return dialog


def existing_directory(parent: QWidget | None, caption: str, directory: str = "") -> str:
    """Like ``QFileDialog.getExistingDirectory``; "" when cancelled."""
    dialog = _dialog(parent, caption, directory)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    return dialog.selectedFiles()[0] if dialog.exec() and dialog.selectedFiles() else ""


def open_file_name(parent: QWidget | None, caption: str, directory: str = "", name_filter: str = "") -> str:
    """Like ``QFileDialog.getOpenFileName`` (the path only); "" when cancelled."""
    dialog = _dialog(parent, caption, directory, name_filter)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    return dialog.selectedFiles()[0] if dialog.exec() and dialog.selectedFiles() else ""


def open_file_names(
    parent: QWidget | None, caption: str, directory: str = "", name_filter: str = ""
) -> list[str]:
    """Like ``QFileDialog.getOpenFileNames`` (the paths only); [] when cancelled."""
    dialog = _dialog(parent, caption, directory, name_filter)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    return list(dialog.selectedFiles()) if dialog.exec() else []


def save_file_name(parent: QWidget | None, caption: str, directory: str = "", name_filter: str = "") -> str:
    """Like ``QFileDialog.getSaveFileName`` (the path only); "" when cancelled."""
    dialog = _dialog(parent, caption, directory, name_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    return dialog.selectedFiles()[0] if dialog.exec() and dialog.selectedFiles() else ""


def music_start_folder(store: Any) -> str:
    """Where the import and export dialogs open: the library's first music folder (playlists live next to
    the music), else the desktop's music folder, else the home folder; never the folder Encore happened to
    be started from."""
    from ui.settings import UiSettings, default_music_folder

    folders = [*UiSettings.load(store).folders, default_music_folder()]
    return next((f for f in folders if os.path.isdir(f)), os.path.expanduser("~"))
