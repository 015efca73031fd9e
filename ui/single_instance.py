"""One Encore per database: a second launch hands its arguments to the running one and exits.

The running app listens on a ``QLocalServer`` socket named after the database; a new launch first tries
to connect to it. If it answers, the launch sends one JSON line (``{"files": [...]}``, absolute paths)
and quits, and the running window comes to the front and plays the files. A stale socket left by a
crash is removed before listening again.

Why so careful: any local user can connect to, or squat, a socket in a shared folder. The socket once
was ``/tmp/encore-<uid>-<hash>``, predictable and never checked: a listener run as ``nobody`` received
the files and the real Encore exited without a window; 20,000 connections exhausted the GUI's file
descriptors (Qt then closes the server and deletes its socket, so a second GUI started on the same
database); bytes without a newline grew the GUI by 300 MB. So:

- the socket lives in a folder only the user can enter: ``$XDG_RUNTIME_DIR/encore`` (the runtime folder
  is per user, 0700), else ``<tmp>/encore-<uid>``; each folder on the way is checked (a real folder, not
  a symlink, owned by the user, mode 0700) and, when not, no socket is used at all (``socket_path``
  returns None: Encore runs without the single-instance hand-over rather than trust it);
- both ends check the peer's uid (``SO_PEERCRED``) and talk only to the same user;
- the server holds at most ``MAX_CONNECTIONS`` connections at once (more are closed at once), reads at
  most ``MAX_MESSAGE_BYTES`` per connection, drops one idle for ``IDLE_MS``, and listens again if Qt
  closed the server after an accept error;
- a message is used only if it is ``{"files": [str, ...]}``; anything else is ignored with a log line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket as pysocket
import stat
import struct
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 500
MAX_MESSAGE_BYTES = 1 << 20
"""The longest hand-over read (1 MiB: thousands of paths); a longer one is dropped unread."""
MAX_CONNECTIONS = 8
"""Connections served at once; a launch sends one line and leaves, so more is a flood: closed at once."""
MAX_FILES = 10_000
"""The most paths one hand-over may name."""
IDLE_MS = 3000
"""A connection that has not sent its line in this time is dropped (keeps a slot free)."""
WATCH_MS = 2000
"""How often the server checks it still listens (Qt closes it after an accept error such as EMFILE)."""


def _private_folder(path: Path, create: bool) -> bool:
    """True if ``path`` is a real folder (not a symlink) owned by this user with mode 0700, creating it
    (0700) when ``create`` and it is missing; False, with a log line, for anything else."""
    try:
        if create:
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                pass
        st = os.lstat(path)
    except OSError as exc:
        log.warning("single instance: cannot use %s (%s)", path, exc.strerror or exc)
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
        log.warning(
            "single instance: %s is not a private folder of this user (owner %d, mode %o, %s): not used",
            path,
            st.st_uid,
            stat.S_IMODE(st.st_mode),
            "folder" if stat.S_ISDIR(st.st_mode) else "not a folder",
        )
        return False
    return True


def socket_folder() -> Path | None:
    """The private folder for the socket (see the module docstring), or None when none can be trusted."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and _private_folder(Path(runtime), create=False):
        folder = Path(runtime) / "encore"
    else:
        folder = Path(tempfile.gettempdir()) / f"encore-{os.getuid()}"
    return folder if _private_folder(folder, create=True) else None


def server_name(db_path: str) -> str | None:
    """The socket path for the database at ``db_path``, or None (no trusted folder: no hand-over)."""
    folder = socket_folder()
    if folder is None:
        return None
    digest = hashlib.sha1(os.path.abspath(db_path).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return str(folder / f"{digest}.sock")


def peer_uid(socket: QLocalSocket) -> int | None:
    """The uid of the process at the other end of a connected local socket (``SO_PEERCRED``)."""
    fd = int(socket.socketDescriptor())
    if fd < 0:
        return None
    try:
        sock = pysocket.socket(fileno=os.dup(fd))
    except OSError:
        return None
    try:
        creds = sock.getsockopt(pysocket.SOL_SOCKET, pysocket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    finally:
        sock.close()
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def forward_to_running(name: str | None, files: list[str]) -> bool:
    """Hand ``files`` to the Encore listening on ``name``; False when none runs, or when what answers
    there is not this user's (then nothing is sent: this launch opens its own window)."""
    if name is None:
        return False
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    uid = peer_uid(socket)
    if uid != os.getuid():
        log.warning("single instance: %s is served by uid %s, not this user: not trusted", name, uid)
        socket.abort()
        return False
    message = json.dumps({"files": [os.path.abspath(f) for f in files]}) + "\n"
    socket.write(message.encode("utf-8", "surrogateescape"))
    socket.flush()
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
    return True


def parse_message(data: bytes) -> list[str] | None:
    """The files of a hand-over line, or None for anything but ``{"files": [str, ...]}``."""
    try:
        message = json.loads(data.decode("utf-8", "surrogateescape"))
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    files = message.get("files", [])
    if not isinstance(files, list) or len(files) > MAX_FILES or not all(isinstance(f, str) for f in files):
        return None
    return files


class InstanceServer(QObject):
    activated = Signal(list)  # files another launch asked to play (maybe none)

    def __init__(self, name: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.setMaxPendingConnections(MAX_CONNECTIONS)
        self.server.newConnection.connect(self._connection)
        self._buffers: dict[QLocalSocket, bytes] = {}
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_MS)
        self._watch.timeout.connect(self._relisten)

    def listen(self) -> bool:
        if self.name is None:
            return False
        ok = self._listen()
        if ok:
            self._watch.start()
        return ok

    def _listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_TIMEOUT_MS):  # a live server: never delete its socket
            probe.abort()
            return False
        QLocalServer.removeServer(self.name)  # a socket file left by a crashed instance
        return self.server.listen(self.name)

    def _relisten(self) -> None:
        """Qt closes the server (and deletes its socket) after an accept error such as EMFILE: listen
        again, so that a flood cannot leave the database's first window without its hand-over."""
        if not self.server.isListening() and self._listen():
            log.warning("single instance: listening again on %s after an accept error", self.name)

    def close(self) -> None:
        self._watch.stop()
        self.server.close()

    @property
    def connections(self) -> int:
        return len(self._buffers)

    def _connection(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            if socket is None:
                break
            if len(self._buffers) >= MAX_CONNECTIONS:
                log.info("single instance: %d connections open, one more dropped", len(self._buffers))
                socket.abort()
                socket.deleteLater()
                continue
            uid = peer_uid(socket)
            if uid != os.getuid():
                log.warning("single instance: connection from uid %s dropped", uid)
                socket.abort()
                socket.deleteLater()
                continue
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._done(s))
            QTimer.singleShot(IDLE_MS, socket, lambda s=socket: self._drop(s, "idle"))

    def _read(self, socket: QLocalSocket) -> None:
        if socket not in self._buffers:
            return
        room = MAX_MESSAGE_BYTES + 1 - len(self._buffers[socket])
        self._buffers[socket] += bytes(socket.read(room).data())
        if b"\n" in self._buffers[socket]:
            self._done(socket)
        elif len(self._buffers[socket]) > MAX_MESSAGE_BYTES:
            self._drop(socket, f"over {MAX_MESSAGE_BYTES} bytes")

    def _drop(self, socket: QLocalSocket, why: str) -> None:
        if self._buffers.pop(socket, None) is None:
            return
        log.warning("single instance: hand-over dropped (%s)", why)
        socket.abort()
        socket.deleteLater()

    def _done(self, socket: QLocalSocket) -> None:
        if socket in self._buffers and socket.bytesAvailable():  # what came just before the hang-up
            room = MAX_MESSAGE_BYTES + 1 - len(self._buffers[socket])
            self._buffers[socket] += bytes(socket.read(max(room, 0)).data())
        data = self._buffers.pop(socket, None)
        if data is None:
            return
        socket.abort()
        socket.deleteLater()
        if b"\n" not in data and len(data) > MAX_MESSAGE_BYTES:
            log.warning("single instance: hand-over dropped (over %d bytes)", MAX_MESSAGE_BYTES)
            return
        line = data.split(b"\n", 1)[0]
        if not line:
            return  # connected and left without a word
        files = parse_message(line)
        if files is None:
            log.warning("single instance: ignored a malformed hand-over (%d bytes)", len(line))
            return
        self.activated.emit(files)
