"""The single-instance socket against other local users and floods (issue 27, item 9), through the real
``QLocalServer``/``QLocalSocket`` (offscreen) and real second launches in subprocesses."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hostile_helpers import REPO

from ui import single_instance as si

NOBODY = 65534
WAIT = 20_000


@pytest.fixture
def private_env(tmp_path, monkeypatch) -> Path:
    """A runtime folder of this user's own (0700), as a desktop session gives one."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    return runtime


@pytest.fixture
def server(qtbot, private_env, tmp_path):
    name = si.server_name(str(tmp_path / "encore.db"))
    assert name is not None and name.startswith(str(private_env / "encore") + "/")
    srv = si.InstanceServer(name)
    assert srv.listen()
    yield srv
    srv.close()


def _second_launch(qtbot, name: str, files: list[str]) -> subprocess.CompletedProcess:
    """A second Encore's hand-over, in its own process (the first keeps serving events meanwhile)."""
    code = (
        "import sys; from PySide6.QtCore import QCoreApplication; app = QCoreApplication([]);"
        "from ui.single_instance import forward_to_running;"
        "sys.exit(0 if forward_to_running(sys.argv[1], sys.argv[2:]) else 3)"
    )
    out: dict[str, subprocess.CompletedProcess] = {}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    def run() -> None:
        out["p"] = subprocess.run(
            [sys.executable, "-c", code, name, *files], cwd=REPO, env=env, capture_output=True, text=True
        )

    thread = threading.Thread(target=run)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=WAIT)
    return out["p"]


def _hand_over_works(qtbot, srv, tmp_path) -> None:
    song = str(tmp_path / "song.ogg")
    with qtbot.waitSignal(srv.activated, timeout=WAIT) as got:
        proc = _second_launch(qtbot, srv.name, [song])
        assert proc.returncode == 0, proc.stderr
    assert got.args == [[song]]


def _raw(path: str, payload: bytes = b"") -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    if payload:
        s.sendall(payload)
    return s


def test_a_second_launch_hands_its_files_to_the_first(qtbot, server, tmp_path, private_env):
    assert (private_env / "encore").stat().st_mode & 0o777 == 0o700
    _hand_over_works(qtbot, server, tmp_path)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"files": 42}\n',
        b'{"files": ["a.ogg", 3]}\n',
        b'["a.ogg"]\n',
        b"not json\n",
        b'{"files": "/etc/passwd"}\n',
    ],
)
def test_a_malformed_message_is_ignored_with_a_log_line(qtbot, server, tmp_path, payload, caplog):
    emitted: list[list] = []
    server.activated.connect(emitted.append)
    s = _raw(server.name, payload)
    qtbot.waitUntil(lambda: "malformed" in caplog.text, timeout=WAIT)
    s.close()
    qtbot.wait(100)
    assert emitted == []
    _hand_over_works(qtbot, server, tmp_path)


def test_a_message_over_the_cap_is_dropped_unread(qtbot, server, tmp_path, caplog):
    s = _raw(server.name)
    s.setblocking(False)
    sent = 0
    chunk = b"x" * 65536
    deadline = time.monotonic() + 20
    while "over" not in caplog.text and time.monotonic() < deadline:  # a stream without a newline
        try:
            sent += s.send(chunk)
        except BlockingIOError:
            pass
        except OSError:  # the server hung up on us
            break
        qtbot.wait(1)
    assert "over" in caplog.text and sent > si.MAX_MESSAGE_BYTES
    assert all(len(b) <= si.MAX_MESSAGE_BYTES + 1 for b in server._buffers.values())
    s.close()
    _hand_over_works(qtbot, server, tmp_path)


def test_a_flood_of_connections_does_not_break_the_first_instance(qtbot, server, tmp_path):
    flood = []
    for _ in range(300):
        try:
            flood.append(_raw(server.name))
        except OSError:  # the backlog is full: the server is refusing, as it should
            qtbot.wait(5)
        if len(flood) % 20 == 0:
            qtbot.wait(5)
    qtbot.wait(200)
    assert server.connections <= si.MAX_CONNECTIONS
    for s in flood:
        s.close()
    qtbot.waitUntil(lambda: server.connections == 0, timeout=WAIT)
    assert server.server.isListening()
    _hand_over_works(qtbot, server, tmp_path)


def test_an_accept_error_does_not_end_listening(qtbot, server, tmp_path):
    """Out of file descriptors, Qt closes the server and deletes its socket; it listens again."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = len(os.listdir("/proc/self/fd"))
    flood = []
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 6, hard))
        for _ in range(40):
            try:
                flood.append(_raw(server.name))
            except OSError:
                break
        qtbot.wait(300)
    finally:
        for s in flood:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    qtbot.waitUntil(lambda: server.server.isListening() and os.path.exists(server.name), timeout=WAIT)
    _hand_over_works(qtbot, server, tmp_path)


# -- a socket path prepared by another user ------------------------------------------------------------


@pytest.fixture
def tmp_only(tmp_path, monkeypatch) -> Path:
    """No runtime folder: the socket folder goes under TMPDIR (here a fresh one)."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    tmp.chmod(0o1777)
    monkeypatch.setenv("TMPDIR", str(tmp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    return tmp / f"encore-{os.getuid()}"


needs_root = pytest.mark.skipif(os.getuid() != 0, reason="chown to another user needs root")


@pytest.mark.parametrize("how", ["other-owner", "open-mode", "symlink", "file"])
def test_a_folder_prepared_by_another_user_is_not_trusted(tmp_only, tmp_path, how):
    if how == "other-owner":
        if os.getuid() != 0:
            pytest.skip("chown to another user needs root")
        tmp_only.mkdir(mode=0o700)
        os.chown(tmp_only, NOBODY, NOBODY)
    elif how == "open-mode":
        tmp_only.mkdir()
        tmp_only.chmod(0o777)
    elif how == "symlink":
        mine = tmp_path / "elsewhere"
        mine.mkdir(mode=0o700)
        tmp_only.symlink_to(mine)
    else:
        tmp_only.write_text("")
    assert si.server_name(str(tmp_path / "encore.db")) is None
    assert not si.forward_to_running(None, ["x.ogg"])
    assert not si.InstanceServer(None).listen()


def test_a_fresh_tmp_folder_is_made_private(tmp_only, tmp_path):
    name = si.server_name(str(tmp_path / "encore.db"))
    assert name is not None and Path(name).parent == tmp_only
    assert tmp_only.stat().st_mode & 0o777 == 0o700 and tmp_only.stat().st_uid == os.getuid()


@needs_root
def test_a_runtime_folder_of_another_user_is_not_used(tmp_only, tmp_path, monkeypatch):
    runtime = tmp_path / "run-nobody"
    runtime.mkdir(mode=0o700)
    os.chown(runtime, NOBODY, NOBODY)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    name = si.server_name(str(tmp_path / "encore.db"))
    assert name is not None and Path(name).parent == tmp_only  # the user's own tmp folder instead


@needs_root
def test_a_listener_of_another_user_gets_nothing(qtbot, tmp_path):
    """Even at a path it could reach, a listener run as ``nobody`` is not handed the files (SO_PEERCRED)."""
    import tempfile

    python = shutil.which("python3", path="/usr/bin:/bin")  # one that nobody may run (not under /root)
    if shutil.which("setpriv") is None or python is None:
        pytest.skip("setpriv or a system python3 is missing")
    shared = Path(tempfile.mkdtemp(prefix="encore-squat-", dir="/tmp"))  # reachable by nobody
    shared.chmod(0o777)
    path = shared / "squat.sock"
    got = shared / "got.txt"
    listener = (
        "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4);"
        "open(sys.argv[2]+'.ready','w').close(); c,_=s.accept(); c.settimeout(3);"
        "data=b''\ntry:\n  data=c.recv(65536)\nexcept OSError: pass\nopen(sys.argv[2],'wb').write(data)"
    )
    proc = subprocess.Popen(
        ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups", python, "-c",
         listener, str(path), str(got)],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not Path(str(got) + ".ready").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert si.forward_to_running(str(path), ["/home/me/secret.ogg"]) is False
        proc.wait(timeout=20)
        assert got.read_bytes() == b""
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(shared, ignore_errors=True)
