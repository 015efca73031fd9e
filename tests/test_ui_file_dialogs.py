"""The app's file dialogs list a folder without opening its files: Qt's default icon provider sniffs
each file's content, and closing that descriptor drops SQLite's POSIX locks on an open database (a CLI
run then deletes the WAL under the app: "disk I/O error")."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMimeDatabase, Qt
from PySide6.QtWidgets import QFileSystemModel

from player.store import Store


def _posix_locks() -> int:
    pid = str(os.getpid())
    with open("/proc/locks", encoding="ascii") as fh:
        return sum(1 for line in fh if "POSIX" in line and line.split()[4] == pid)


def test_listing_the_database_folder_keeps_sqlite_locks(qtbot, tmp_path: Path):
    from ui.file_dialogs import _dialog

    folder = tmp_path / "profile"
    folder.mkdir()
    (folder / "notes").write_text("a file without an extension", encoding="utf-8")
    store = Store.open(folder / "encore.db")
    try:
        store.get_state("x")  # a read: the connection holds its WAL read lock
        held = _posix_locks()
        assert held > 0
        dialog = _dialog(None, "Pick", str(folder))
        qtbot.addWidget(dialog)
        dialog.show()
        model = dialog.findChild(QFileSystemModel)
        root = model.index(str(folder))
        qtbot.waitUntil(lambda: model.rowCount(root) >= 2, timeout=10_000)
        for row in range(model.rowCount(root)):
            index = model.index(row, 0, root)
            model.data(index, Qt.ItemDataRole.DecorationRole)  # what painting the list asks for
            model.type(index)
        qtbot.wait(200)
        assert _posix_locks() == held
        types = {model.type(model.index(r, 0, root)) for r in range(model.rowCount(root))}
        assert {"DB file", "File"} <= types  # named from the file name alone
        dialog.close()
        # The trap itself: sniffing the database's content, as Qt's own provider does, drops the locks.
        QMimeDatabase().mimeTypeForFile(str(folder / "encore.db"))
        assert _posix_locks() < held
    finally:
        store.close()


def _answer(qtbot, seen: list[str], pick: str | None) -> None:
    """When the next file dialog opens: note the folder it shows, then pick ``pick`` (None: cancel)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

    def act() -> None:
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()]
        if not shown:
            QTimer.singleShot(20, act)
            return
        dialog = shown[0]
        seen.append(dialog.directory().absolutePath())
        seen.append(dialog.selectedFiles()[0] if dialog.selectedFiles() else "")
        if pick is None:
            dialog.reject()
        else:
            dialog.findChild(QLineEdit, "fileNameEdit").setText(pick)  # typed, as a listener may
            dialog.accept()
            if dialog.isVisible():  # refused: fail on the answer, never hang the run
                dialog.reject()

    QTimer.singleShot(20, act)


def test_each_kind_of_dialog_opens_where_its_last_pick_was(qtbot, tmp_path: Path):
    """A walk found every dialog starting over in the music folder: the second playlist import had to
    find its folder again. Each kind remembers its own folder, across a restart, while it exists."""
    from ui.file_dialogs import existing_directory, open_file_name, save_file_name

    music, exports, other = tmp_path / "music", tmp_path / "exports", tmp_path / "other"
    for folder in (music, exports, other):
        folder.mkdir()
    (exports / "summer.m3u8").write_text("#EXTM3U\n", encoding="utf-8")
    store = Store.open(tmp_path / "encore.db")
    seen: list[str] = []
    try:
        _answer(qtbot, seen, str(exports / "summer.m3u8"))
        chosen = open_file_name(None, "Import", str(music), remember=(store, "playlists"))
        assert chosen == str(exports / "summer.m3u8") and seen[0] == str(music)  # nothing remembered yet
        _answer(qtbot, seen, None)
        assert open_file_name(None, "Import", str(music), "", remember=(store, "playlists")) == ""
        assert seen[2] == str(exports)  # where the last import was found
        _answer(qtbot, seen, None)
        save_file_name(None, "Export", str(music / "Evening.m3u8"), "", remember=(store, "playlists"))
        assert seen[4] == str(exports) and seen[5] == str(exports / "Evening.m3u8")  # its name is kept
        _answer(qtbot, seen, None)
        open_file_name(None, "History", str(music), "", remember=(store, "history"))
        assert seen[6] == str(music)  # another kind: its own memory (none yet)
        _answer(qtbot, seen, str(other))
        assert existing_directory(None, "Add", str(music), remember=(store, "music folder")) == str(other)
    finally:
        store.close()
    store = Store.open(tmp_path / "encore.db")  # after a restart
    try:
        _answer(qtbot, seen, None)
        open_file_name(None, "Import", str(music), "", remember=(store, "playlists"))
        assert seen[-2] == str(exports)
        _answer(qtbot, seen, None)
        existing_directory(None, "Add", str(music), remember=(store, "music folder"))
        assert seen[-2] == str(tmp_path)  # a chosen folder's parent: the next pick is its sibling
        (exports / "summer.m3u8").unlink()
        exports.rmdir()
        _answer(qtbot, seen, None)
        open_file_name(None, "Import", str(music), "", remember=(store, "playlists"))
        assert seen[-2] == str(music)  # the remembered folder is gone: the caller's start again
        # A start folder that is not there (~/Music on a system without one) opens at the nearest one
        # above it, not at its parent with "Music" typed in as the choice (a walk's first dialog).
        _answer(qtbot, seen, None)
        existing_directory(None, "Add", str(tmp_path / "no music" / "here"))
        assert seen[-2] == str(tmp_path) and "no music" not in seen[-1]
        # A database that cannot be written (read-only, full) loses the folder, never the pick.
        store.conn.execute("PRAGMA query_only = ON")
        _answer(qtbot, seen, str(other))
        assert existing_directory(None, "Add", str(music), remember=(store, "music folder")) == str(other)
    finally:
        store.close()
