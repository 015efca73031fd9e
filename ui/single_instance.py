"""One Encore per database: a second launch hands its arguments to the running one and exits.

The running app listens on a ``QLocalServer`` named after the user and the database; a new launch first
tries to connect to it. If it answers, the launch sends one JSON line (``{"files": [...]}``, absolute
paths) and quits, and the running window comes to the front and plays the files. A stale socket left
by a crash is removed before listening again.
"""

from __future__ import annotations

import hashlib
import json
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 500


def server_name(db_path: str) -> str:
    digest = hashlib.sha1(os.path.abspath(db_path).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"encore-{os.getuid()}-{digest}"


def forward_to_running(name: str, files: list[str]) -> bool:
    """Hand ``files`` to the Encore listening on ``name``; False when none runs."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    message = json.dumps({"files": [os.path.abspath(f) for f in files]}) + "\n"
    socket.write(message.encode("utf-8", "surrogateescape"))
    socket.flush()
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
    return True


class InstanceServer(QObject):
    activated = Signal(list)  # files another launch asked to play (maybe none)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)  # a socket file left by a crashed instance
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _connection(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._done(s))

    def _read(self, socket: QLocalSocket) -> None:
        self._buffers[socket] = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" in self._buffers[socket]:
            self._done(socket)

    def _done(self, socket: QLocalSocket) -> None:
        data = self._buffers.pop(socket, None)
        if data is None:
            return
        socket.deleteLater()
        try:
            message = json.loads(data.decode("utf-8", "surrogateescape").split("\n", 1)[0] or "{}")
            files = [str(f) for f in message.get("files", [])] if isinstance(message, dict) else []
        except ValueError:
            files = []
        self.activated.emit(files)
