"""Command-line arguments that are not UTF-8 (a Latin-1 shell): names are decoded with U+FFFD and work,
file paths keep their bytes; never a UnicodeEncodeError."""

from __future__ import annotations

import os

from hostile_helpers import assert_clean_failure, encore

LATIN1 = os.fsdecode(b"Caf\xe9")  # what Python makes of the byte \xe9 in argv: a lone surrogate
SHOWN = "Caf\ufffd"


def test_names_that_are_not_utf8_are_decoded(hostile_lib, hostile_copy, tmp_path):
    db = ["--db", str(hostile_copy)]
    assert_clean_failure(encore("playlist", "create", LATIN1, *db), f"Created the playlist {SHOWN}", code=0)
    assert_clean_failure(encore("playlist", "show", LATIN1, *db), f"{SHOWN}: 0 tracks", code=0)
    assert_clean_failure(encore("playlist", "rename", LATIN1, LATIN1 + "2", *db), f"to {SHOWN}2", code=0)
    out = tmp_path / os.fsdecode(b"liste-\xe9.m3u8")  # a Latin-1 file name: written under its bytes
    assert_clean_failure(encore("playlist", "export", LATIN1 + "2", str(out), *db), "Wrote 0 entries", code=0)
    assert os.path.exists(os.path.join(os.fsencode(tmp_path), b"liste-\xe9.m3u8"))
    # Named as the export named it inside (#PLAYLIST); a file without that line, after its file name.
    assert_clean_failure(
        encore("playlist", "import", str(out), *db), f"into the playlist {SHOWN}2 (2)", code=0
    )
    with open(out, encoding="utf-8") as fh:
        kept = [line for line in fh if not line.startswith("#PLAYLIST:")]
    with open(out, "w", encoding="utf-8") as fh:
        fh.writelines(kept)
    assert_clean_failure(
        encore("playlist", "import", str(out), *db), "into the playlist liste-\ufffd", code=0
    )
    assert_clean_failure(encore("playlist", "import", str(out), "--name", LATIN1, *db), SHOWN, code=0)
    assert_clean_failure(encore("playlist", "delete", LATIN1 + "2", *db), "Deleted", code=0)
    rule = ["--rule", f"title contains {LATIN1}"]
    assert_clean_failure(encore("smart", "create", LATIN1 + "s", *rule, *db), "0 tracks", code=0)
    assert_clean_failure(encore("smart", "show", LATIN1 + "s", *db), SHOWN, code=0)
    assert_clean_failure(encore("smart", "preview", *rule, *db), "Preview", code=0)
    for action in ("love", "ban"):
        assert_clean_failure(encore(action, "--artist", LATIN1, *db), SHOWN, code=0)
    assert_clean_failure(encore("unban", "--artist", LATIN1, *db), f"Unbanned the artist {SHOWN}", code=0)
    assert_clean_failure(encore("unlove", "--artist", LATIN1, *db), "is not loved", code=1)
    assert_clean_failure(encore("playlist", "list", *db), SHOWN, code=0)
