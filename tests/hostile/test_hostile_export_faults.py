"""A failed export leaves no ``FILE.part`` behind (a full disk, FILE a directory), and a read-only file is
refused rather than silently replaced by a writable one."""

from __future__ import annotations

import os
import stat

from disk_helpers import fill_disk
from hostile_helpers import assert_clean_failure, encore


def test_a_full_disk_leaves_no_partial_file(hostile_lib, hostile_copy, small_disk):
    assert_clean_failure(
        encore("smart", "create", "Out", "--rule", "duration > 0", "--db", str(hostile_copy)), code=0
    )
    fill_disk(small_disk)
    target = small_disk / "out.m3u8"
    result = encore("playlist", "export", "Out", str(target), "--db", str(hostile_copy))
    assert_clean_failure(result, "No space left on device", code=2)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_a_directory_in_the_way_leaves_no_partial_file(hostile_copy, tmp_path):
    assert_clean_failure(
        encore("smart", "create", "Out", "--rule", "duration > 0", "--db", str(hostile_copy)), code=0
    )
    target = tmp_path / "taken.xspf"
    target.mkdir()
    result = encore("playlist", "export", "Out", str(target), "--db", str(hostile_copy))
    assert_clean_failure(result, "cannot write", code=2)
    assert not (tmp_path / "taken.xspf.part").exists() and target.is_dir()


def test_a_read_only_file_is_not_replaced(hostile_copy, tmp_path):
    assert_clean_failure(
        encore("smart", "create", "Out", "--rule", "duration > 0", "--db", str(hostile_copy)), code=0
    )
    target = tmp_path / "kept.m3u8"
    target.write_text("#EXTM3U\n/music/mine.ogg\n", encoding="utf-8")
    target.chmod(0o444)
    result = encore("playlist", "export", "Out", str(target), "--db", str(hostile_copy))
    assert_clean_failure(result, "is read-only", code=2)
    assert target.read_text(encoding="utf-8") == "#EXTM3U\n/music/mine.ogg\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o444
    assert not (tmp_path / "kept.m3u8.part").exists()
