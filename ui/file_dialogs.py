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

They also remember, per kind of dialog and across restarts, the folder a listener last chose from
(``remember=(store, kind)``): the second playlist import opens where the first one was found, not in
the music folder again (a walk of the app: every dialog started over). The folders are kept in the
store's state beside the app's settings (``DIALOG_FOLDERS_KEY``), not in them: the window holds its
settings in memory and saves them whole, which would undo a folder remembered meanwhile.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QFileInfo
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QStyle, QWidget

from player.store import Store
from player.store.saved_settings import load_settings, save_settings

log = logging.getLogger(__name__)

DIALOG_FOLDERS_KEY = "settings.ui.dialog_folders"

#: ``(store, kind)``: where a dialog of that kind starts, and the store that keeps its last folder.
Remember = tuple[Store, str] | None


@dataclass
class DialogFolders:
    """The folder each kind of dialog was last left in ("playlists", "history", ...)."""

    folders: dict[str, str] = field(default_factory=dict)


def _folders(store: Store) -> dict[str, str]:
    """The remembered folders by kind (a damaged value: none)."""
    folders = load_settings(store, DIALOG_FOLDERS_KEY, DialogFolders).folders
    return dict(folders) if isinstance(folders, dict) else {}


def _start(directory: str, remember: Remember, keep_name: bool = False) -> str:
    """``directory``, or the folder last chosen in a dialog of ``remember``'s kind while it still exists
    (a save dialog's ``directory`` also names the file: that name is kept)."""
    last = _folders(remember[0]).get(remember[1]) if remember is not None else None
    if isinstance(last, str) and os.path.isdir(last):
        return os.path.join(last, os.path.basename(directory)) if keep_name else last
    return directory if keep_name else _existing(directory)


def _existing(folder: str) -> str:
    """``folder``, or the nearest folder above it that exists: Qt opens a folder that is not there at its
    parent with the missing name typed in as a choice (a walk's first folder dialog: "Music" in /root,
    where there is no Music)."""
    folder = os.path.abspath(os.path.expanduser(folder)) if folder else ""
    while folder and not os.path.isdir(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    return folder


def _remember(remember: Remember, chosen: str) -> None:
    """Keep the folder that holds ``chosen`` (a chosen folder's parent: the next pick is its sibling)."""
    if remember is None or not chosen:
        return
    store, kind = remember
    folders = _folders(store)
    folders[kind] = os.path.dirname(os.path.abspath(chosen))
    try:
        save_settings(store, DIALOG_FOLDERS_KEY, DialogFolders(folders))
    except (sqlite3.Error, OSError) as exc:  # read-only or full: the pick itself still goes on
        log.warning("the dialog's folder was not remembered: %s", exc)


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


def _ask(
    parent: QWidget | None,
    caption: str,
    directory: str,
    name_filter: str,
    remember: Remember,
    setup: Callable[[QFileDialog], None],
    keep_name: bool = False,
) -> list[str]:
    """Show a dialog made by ``setup`` and return what was chosen ([] when cancelled), remembering its
    folder when ``remember`` says where."""
    dialog = _dialog(parent, caption, _start(directory, remember, keep_name), name_filter)
    setup(dialog)
    chosen = list(dialog.selectedFiles()) if dialog.exec() else []
    _remember(remember, chosen[0] if chosen else "")
    return chosen


def _first(chosen: list[str]) -> str:
    return chosen[0] if chosen else ""


def existing_directory(
    parent: QWidget | None, caption: str, directory: str = "", remember: Remember = None
) -> str:
    """Like ``QFileDialog.getExistingDirectory``; "" when cancelled."""

    def setup(dialog: QFileDialog) -> None:
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)

    return _first(_ask(parent, caption, directory, "", remember, setup))


def open_file_name(
    parent: QWidget | None,
    caption: str,
    directory: str = "",
    name_filter: str = "",
    remember: Remember = None,
) -> str:
    """Like ``QFileDialog.getOpenFileName`` (the path only); "" when cancelled."""
    mode = QFileDialog.FileMode.ExistingFile
    return _first(_ask(parent, caption, directory, name_filter, remember, lambda d: d.setFileMode(mode)))


def open_file_names(
    parent: QWidget | None,
    caption: str,
    directory: str = "",
    name_filter: str = "",
    remember: Remember = None,
) -> list[str]:
    """Like ``QFileDialog.getOpenFileNames`` (the paths only); [] when cancelled."""
    mode = QFileDialog.FileMode.ExistingFiles
    return _ask(parent, caption, directory, name_filter, remember, lambda d: d.setFileMode(mode))


def save_file_name(
    parent: QWidget | None,
    caption: str,
    directory: str = "",
    name_filter: str = "",
    remember: Remember = None,
) -> str:
    """Like ``QFileDialog.getSaveFileName`` (the path only); "" when cancelled."""
    save = QFileDialog.AcceptMode.AcceptSave
    return _first(
        _ask(parent, caption, directory, name_filter, remember, lambda d: d.setAcceptMode(save), True)
    )


def music_start_folder(store: Any) -> str:
    """Where the import and export dialogs open: the library's first music folder (playlists live next to
    the music), else the desktop's music folder, else the home folder; never the folder Encore happened to
    be started from."""
    from ui.settings import UiSettings, default_music_folder

    folders = [*UiSettings.load(store).folders, default_music_folder()]
    return next((f for f in folders if os.path.isdir(f)), os.path.expanduser("~"))
