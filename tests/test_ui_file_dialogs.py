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
