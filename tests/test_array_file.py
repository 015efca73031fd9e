"""The start-up caches' file format (``recommender.array_file``): what is written is read back exactly,
and a file that is not what ``write`` makes is refused with ``ValueError`` (the caches then recompute)."""

from __future__ import annotations

import io
import json
import time

import numpy as np
import pytest

from recommender import array_file, disk_cache

ARRAYS = {
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "f16": np.linspace(-1, 1, 5).astype(np.float16),
    "i64": np.array([-(2**62), 0, 2**62], dtype=np.int64),
    "mask": np.array([True, False, True]),
    "bytes": np.frombuffer("Björk, 東京".encode(), dtype=np.uint8),
    "text": np.array("a key"),  # a 0-d text array, as the caches keep their base keys
    "empty": np.zeros((0, 64), np.float32),
    "strided": np.arange(20, dtype=np.int32)[::3],  # not contiguous: written as its values
}


def _written(arrays=ARRAYS, key="k1") -> io.BytesIO:
    fh = io.BytesIO()
    array_file.write(fh, key, arrays)
    fh.seek(0)
    return fh


class _File(io.BytesIO):
    """A BytesIO with the ``fileno`` the reader needs for the file's size."""

    def __init__(self, data: bytes, tmp_path) -> None:
        super().__init__(data)
        self._path = tmp_path / "f.arrays"
        self._path.write_bytes(data)
        self._fh = open(self._path, "rb")

    def fileno(self) -> int:
        return self._fh.fileno()


def test_what_is_written_is_read_back_exactly(tmp_path):
    path = tmp_path / "a.arrays"
    assert disk_cache.save_file(path, "k1", ARRAYS)
    with open(path, "rb") as fh:
        key, got = array_file.read(fh)
    assert key == "k1" and list(got) == list(ARRAYS)
    for name, a in ARRAYS.items():
        assert got[name].dtype == a.dtype and got[name].shape == a.shape
        assert np.array_equal(got[name], a)
        assert got[name].flags.writeable  # the readers may change what they load in place
    assert str(got["text"]) == "a key"
    assert disk_cache.load_file(path, "k1", prefixes=("f",)).keys() == {"f32", "f16"}
    assert disk_cache.load_file(path, "another key") is None
    assert disk_cache.load_file(path, None, any_key=True)["i64"].tolist() == ARRAYS["i64"].tolist()


def test_each_array_is_reported_once_in_the_file_in_order(tmp_path):
    """``done(name)`` after each array's bytes went to the file, in the dict's order: what lets the radio
    reuse an array's memory while the rest of its cache is still being written."""
    seen: list[tuple[str, int]] = []
    fh = io.BytesIO()
    array_file.write(fh, "k1", ARRAYS, done=lambda name: seen.append((name, fh.tell())))
    assert [name for name, _ in seen] == list(ARRAYS)
    data, start = fh.getvalue(), len(array_file.MAGIC) + 8
    n = int.from_bytes(data[len(array_file.MAGIC) : start], "little")
    header = json.loads(data[start : start + n])
    base = -(-(start + n) // array_file.ALIGN) * array_file.ALIGN
    for (name, at), (entry_name, _dtype, _shape, offset) in zip(seen, header["arrays"], strict=True):
        assert name == entry_name and at == base + offset + np.asarray(ARRAYS[name]).nbytes
    path = tmp_path / "a.arrays"
    disk_cache.save_behind(path, "k1", ARRAYS)
    disk_cache.array_written(path, "f16")  # returns once "f16" is in the file (or the write ended)
    disk_cache.array_written(path, "no such array")  # a name the write lacks: returns when it ends
    assert disk_cache.load_file(path, "k1")["f16"].tolist() == ARRAYS["f16"].tolist()


def test_another_key_reads_no_array(tmp_path):
    data = _written().getvalue()
    cut = data[: data.index(b"]]}") + 3]  # the header alone: reading an array would fail
    key, arrays = array_file.read(_File(cut, tmp_path), key="other")
    assert key == "k1" and arrays is None


def _aligned(n: int) -> int:
    return -(-n // array_file.ALIGN) * array_file.ALIGN


def _header(data: bytes) -> tuple[dict, int]:
    n = int.from_bytes(data[len(array_file.MAGIC) : len(array_file.MAGIC) + 8], "little")
    return json.loads(data[len(array_file.MAGIC) + 8 : len(array_file.MAGIC) + 8 + n]), n


def _with_header(data: bytes, header: dict) -> bytes:
    """``data`` with its header replaced by ``header`` (the arrays' bytes kept, at the same offsets)."""
    _old, n = _header(data)
    old_base = _aligned(len(array_file.MAGIC) + 8 + n)
    text = json.dumps(header).encode()
    start = len(array_file.MAGIC) + 8 + len(text)
    pad = bytes(_aligned(start) - start)
    return array_file.MAGIC + len(text).to_bytes(8, "little") + text + pad + data[old_base:]


def _entry_changed(index: int, field: int, value) -> dict:
    def change(header: dict) -> dict:
        header["arrays"][index][field] = value
        return header

    return change


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: d[: len(d) - 10], id="cut-short"),
        pytest.param(lambda d: d[:20], id="cut-in-the-header"),
        pytest.param(lambda d: b"", id="empty"),
        pytest.param(lambda d: b"PK\x03\x04" + d[4:], id="not-ours"),
        pytest.param(
            lambda d: _with_header(d, _entry_changed(0, 1, "|O8")(_header(d)[0])), id="object-dtype"
        ),
        pytest.param(
            lambda d: _with_header(d, _entry_changed(0, 1, "i4,f8")(_header(d)[0])), id="record-dtype"
        ),
        pytest.param(
            lambda d: _with_header(d, _entry_changed(0, 2, [2**39, 2**39])(_header(d)[0])), id="huge"
        ),
        pytest.param(lambda d: _with_header(d, _entry_changed(0, 2, [-1])(_header(d)[0])), id="negative"),
        pytest.param(lambda d: _with_header(d, _entry_changed(0, 3, 3)(_header(d)[0])), id="unaligned"),
        pytest.param(
            lambda d: _with_header(d, _entry_changed(0, 3, 2**40)(_header(d)[0])), id="past-the-end"
        ),
        pytest.param(lambda d: _with_header(d, {"key": "k1", "arrays": "x"}), id="no-list"),
        pytest.param(lambda d: _with_header(d, {"arrays": []}), id="no-key"),
        pytest.param(
            lambda d: _with_header(d, _entry_changed(0, 1, "<i3")(_header(d)[0])), id="no-such-dtype"
        ),
        pytest.param(lambda d: _with_header(d, _entry_changed(0, 1, "|S0")(_header(d)[0])), id="empty-items"),
        pytest.param(
            lambda d: d[: len(array_file.MAGIC)] + (200_000).to_bytes(8, "little") + b"[" * 200_000,
            id="deep-header",
        ),
        pytest.param(lambda d: _with_header(d, _entry_changed(1, 3, 0)(_header(d)[0])), id="overlapping"),
    ],
)
def test_a_damaged_file_is_refused(tmp_path, damage):
    data = damage(_written().getvalue())
    with pytest.raises(ValueError):
        array_file.read(_File(data, tmp_path))
    path = tmp_path / "c.arrays"
    path.write_bytes(data)
    assert disk_cache.load_file(path, "k1") is None  # the cache recomputes


def test_an_array_no_cache_holds_is_not_written(tmp_path):
    with pytest.raises(ValueError, match="dtype object"):
        array_file.write(io.BytesIO(), "k", {"o": np.array([None, 1], dtype=object)})
    assert not disk_cache.save_file(tmp_path / "o.arrays", "k", {"o": np.array([None], dtype=object)})
    assert list(tmp_path.iterdir()) == []  # nor a temporary file left behind


def _settled(folder, names: set[str], seconds: float = 10.0) -> None:
    """Wait until ``folder`` holds just ``names``: replaced files are deleted on a thread of their own."""
    deadline = time.monotonic() + seconds
    while {p.name for p in folder.iterdir()} != names and time.monotonic() < deadline:
        time.sleep(0.01)
    assert {p.name for p in folder.iterdir()} == names


def test_a_saved_cache_removes_the_file_it_replaces(tmp_path):
    old = tmp_path / "encore.db.radio.npz"
    np.savez(old, a=np.arange(3))
    assert disk_cache.save_file(tmp_path / "encore.db.radio.arrays", "k", {"a": np.arange(3)}, replaces=old)
    _settled(tmp_path, {"encore.db.radio.arrays"})
    assert disk_cache.load_file(old, "k") is None  # an .npz is not read as a cache


def test_a_replaced_cache_leaves_the_new_arrays_and_nothing_else(tmp_path):
    path = tmp_path / "encore.db.similar.arrays"
    dead = tmp_path / "encore.db.similar.arrays.999999-1.old"  # set aside by a process killed since
    dead.write_bytes(b"x" * 100)
    other = tmp_path / "encore.db.radio.arrays.999999-1.old"  # another cache's: not this save's to delete
    other.write_bytes(b"y")
    for round_ in range(3):
        assert disk_cache.save_file(path, f"k{round_}", {"a": np.arange(round_ + 1)})
        assert np.array_equal(disk_cache.load_file(path, f"k{round_}")["a"], np.arange(round_ + 1))
    _settled(tmp_path, {path.name, other.name})
    # A folder in the cache's place is left alone and the cache not written.
    folder = tmp_path / "encore.db.folder.arrays"
    folder.mkdir()
    assert not disk_cache.save_file(folder, "k", {"a": np.arange(2)})
    assert folder.is_dir()
    _settled(tmp_path, {path.name, other.name, folder.name})


def test_a_header_cannot_make_the_reader_hold_more_than_the_file(tmp_path):
    """Two thousand entries over the same megabyte (a tampered header) are refused, not read 2,000 times."""
    data = _written({"big": np.zeros(1 << 18, dtype=np.float32)}).getvalue()
    header, _n = _header(data)
    header["arrays"] = [[f"a{j}", "<f4", [1 << 18], 0] for j in range(2000)]
    with pytest.raises(ValueError, match="overlaps"):
        array_file.read(_File(_with_header(data, header), tmp_path))


def test_a_cache_written_behind_is_read_back_at_once_and_lands_in_order(tmp_path):
    """``save_behind`` returns before the file is written; a read of the same file in this process waits
    for it, and several writes of one path land in the order they were queued."""
    path = tmp_path / "encore.db.radio.arrays"
    for round_ in range(5):
        disk_cache.save_behind(path, f"k{round_}", {"a": np.arange(1000 * (round_ + 1))})
    got = disk_cache.load_file(path, "k4")  # the newest: waits for all five
    assert got is not None and np.array_equal(got["a"], np.arange(5000))
    assert disk_cache.load_file(path, "k3") is None  # replaced
    (tmp_path / "not a folder").write_text("x")
    disk_cache.save_behind(tmp_path / "not a folder" / "c.arrays", "k", {"a": np.arange(3)})
    disk_cache.written()  # a write that cannot happen is skipped, as save_file skips it
    _settled(tmp_path, {path.name, "not a folder"})


def test_a_cache_whose_name_leaves_no_room_to_set_it_aside_is_replaced(tmp_path, monkeypatch):
    path = tmp_path / ("c" * 236 + ".arrays")  # the longest name the temporary file still fits beside
    assert disk_cache.save_file(path, "k1", {"a": np.arange(2)})
    assert disk_cache.save_file(path, "k2", {"a": np.arange(3)})
    assert np.array_equal(disk_cache.load_file(path, "k2")["a"], np.arange(3))
    real_rename = disk_cache.os.rename

    def no_room(src, dst, *args, **kwargs):  # as a name past NAME_MAX fails
        if str(dst).endswith(disk_cache.ASIDE):
            raise OSError(36, "File name too long")
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(disk_cache.os, "rename", no_room)
    assert disk_cache.save_file(path, "k3", {"a": np.arange(4)})
    assert np.array_equal(disk_cache.load_file(path, "k3")["a"], np.arange(4))
    _settled(tmp_path, {path.name})
