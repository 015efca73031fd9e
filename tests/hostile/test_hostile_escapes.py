"""Tag text, file names and playlist names never reach the terminal raw: every line the CLI prints goes
through one function (``player.cli.common.say``) that shows control characters escaped."""

from __future__ import annotations

import re

from conftest import ESCAPE_TITLE
from hostile_helpers import encore

RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
EVIL_NAME = "Mix\x1b]0;owned\x07\x1b[2J"


def _clean(result) -> str:
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    assert not RAW_CONTROL.search(out), repr(out)
    return out


def test_no_command_prints_tag_or_file_text_raw(hostile_lib, hostile_copy, tmp_path):
    db = ["--db", str(hostile_copy)]
    evil = str(hostile_lib.bad["escape"])
    assert "\\x1b" in _clean(encore("love", evil, *db))  # shown, escaped
    assert "\\x1b" in _clean(encore("loves", *db))
    _clean(encore("ban", "--artist", "Mal\x1b[2Jlory\x07", *db))
    assert "\\x1b" in _clean(encore("bans", *db))
    assert "\\x1b" in _clean(encore("playlist", "create", EVIL_NAME, *db))
    _clean(encore("playlist", "add", EVIL_NAME, evil, *db))
    assert "\\x1b" in _clean(encore("playlist", "show", EVIL_NAME, *db))
    assert "\\x1b" in _clean(encore("playlist", "list", *db))
    _clean(encore("playlist", "rename", EVIL_NAME, EVIL_NAME + "\r2", *db))
    esc = tmp_path / "esc.m3u8"
    esc.write_text(f"#EXTM3U\n{evil}\n/nonexistent/\x1b]0;owned\x07\x1b[2J.ogg\n", encoding="utf-8")
    imported = _clean(encore("playlist", "import", str(esc), "--name", EVIL_NAME, *db))
    assert "/nonexistent/\\x1b]0;owned\\x07\\x1b[2J.ogg" in imported, imported
    _clean(encore("unban", "--artist", "Mal\x1b[2Jlory\x07", *db))
    assert "\\x1b" in _clean(encore("smart", "preview", "--rule", "title contains Evil", *db))
    assert "\\x1b" in _clean(encore("smart", "create", EVIL_NAME + "s", "--rule", "title contains Evil", *db))
    _clean(encore("for-you", *db, timeout=180))
    _clean(encore("mood", "calm", *db, timeout=180))
    assert ESCAPE_TITLE not in imported
