"""First run: which folders hold the user's music (default: the XDG music folder)."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.file_dialogs import existing_directory
from ui.settings import default_music_folder


class FolderList(QWidget):
    """A list of folders with Add / Remove buttons (also used by the settings dialog)."""

    def __init__(self, folders: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.addItems(folders)
        add = QPushButton("Add folder…")
        add.clicked.connect(self._add)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def folders(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def add(self, folder: str) -> None:
        if folder and folder not in self.folders():
            self.list.addItem(folder)

    def _add(self) -> None:
        start = self.folders()[-1] if self.folders() else default_music_folder()
        folder = existing_directory(self, "Add a music folder", start)
        self.add(folder)

    def _remove(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))


class FirstRunDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, suggested: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Encore")
        if suggested is None:
            music = default_music_folder()
            suggested = [music] if os.path.isdir(music) else []
        intro = QLabel(
            "<h3>Where is your music?</h3>"
            "<p>Encore scans these folders in the background (you can use the app meanwhile), then "
            "listens to each track once — on this computer, nothing is uploaded — to learn how it sounds "
            "for the radio and “sounds like”. You can change the folders later in Settings.</p>"
        )
        intro.setWordWrap(True)
        self.folder_list = FolderList(suggested)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Scan these folders")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Not now")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.scan_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        # With no folder, "Scan these folders" would close the dialog and scan nothing, silently.
        self.hint = QLabel("No folder yet: use <b>Add folder…</b> to choose the one that holds your music.")
        self.hint.setWordWrap(True)
        model = self.folder_list.list.model()
        model.rowsInserted.connect(self._sync)
        model.rowsRemoved.connect(self._sync)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.folder_list, 1)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.resize(560, 340)
        self._sync()

    def _sync(self) -> None:
        has = bool(self.folders())
        self.scan_button.setEnabled(has)
        self.hint.setVisible(not has)

    def folders(self) -> list[str]:
        return self.folder_list.folders()
