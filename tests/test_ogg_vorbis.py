"""The direct Ogg Vorbis reader gives mutagen's answer, or steps aside: on every corpus file, on files
tagged with mutagen (many values, non-ASCII text, a cover big enough to spread the comment header over
several pages), and on hundreds of damaged copies (a byte changed in the headers or the last page,
truncated, two streams chained). A damaged file must never be read where mutagen refuses it."""

from __future__ import annotations

import base64
import io
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import mutagen
import pytest
from mutagen.flac import Picture
from mutagen.ogg import OggPage
from mutagen.oggvorbis import OggVorbis

from player import ogg_vorbis
from player.tag_formats import tag_lookup
from player.tags import FileStat, read_track


def _mutagen_view(path: Path) -> ogg_vorbis.VorbisFile | None:
    """What mutagen reads of the file, in the reader's shape (None: mutagen refuses it)."""
    try:
        audio = OggVorbis(path)
    except Exception:  # mutagen raises assorted errors on damaged files; any of them is a refusal
        return None
    info = audio.info
    return ogg_vorbis.VorbisFile(
        length=info.length,
        channels=info.channels,
        sample_rate=info.sample_rate,
        bitrate=info.bitrate,
        tags=tag_lookup(audio.tags),
    )


def _direct(path: Path) -> ogg_vorbis.VorbisFile | None:
    with open(path, "rb") as fh:
        return ogg_vorbis.read_vorbis(fh, fh.read(128))


def test_every_corpus_file_is_read_as_mutagen_reads_it(corpus_files: list[Path]) -> None:
    assert len(corpus_files) > 100
    for path in corpus_files:
        with open(path, "rb") as fh:
            assert ogg_vorbis.is_vorbis_head(fh.read(128)), path
        direct = _direct(path)
        assert direct is not None, f"the plain reader stepped aside on a plain file: {path}"
        assert direct == _mutagen_view(path), path


def test_files_tagged_by_mutagen_read_the_same(corpus_files: list[Path], tmp_path: Path) -> None:
    source = corpus_files[0]
    target = tmp_path / "tagged.ogg"
    shutil.copyfile(source, target)
    audio = OggVorbis(target)
    audio["ARTIST"] = ["Björk Guðmundsdóttir", "日本語テスト"]
    audio["Title"] = "Jóga = yes"  # an '=' in a value
    audio["replaygain_track_gain"] = "-7.32 dB"
    audio["GENRE"] = [f"genre {i}" for i in range(40)]
    picture = Picture()
    picture.type = 3
    picture.mime = "image/jpeg"
    picture.data = random.Random(1).randbytes(150_000)  # the comment header spans three pages
    audio["METADATA_BLOCK_PICTURE"] = base64.b64encode(picture.write()).decode("ascii")
    audio.save()

    direct = _direct(target)
    assert direct is not None
    assert direct == _mutagen_view(target)
    assert direct.tags["artist"] == ["Björk Guðmundsdóttir", "日本語テスト"]
    assert direct.tags["title"] == ["Jóga = yes"]
    assert len(direct.tags["genre"]) == 40


def _damaged_copies(source: Path, folder: Path, count: int, seed: int) -> list[Path]:
    """Copies of ``source`` with one byte changed in the first or the last 8 KB, or cut short."""
    data = source.read_bytes()
    rng = random.Random(seed)
    out = []
    for i in range(count):
        damaged = bytearray(data)
        how = i % 3
        if how == 0:  # the headers: page structure, identification and comment header
            at = rng.randrange(min(len(data), 8192))
            damaged[at] = rng.choice([0, 1, 0x7F, 0xFF, damaged[at] ^ 0x01])
        elif how == 1:  # the last pages
            at = len(data) - 1 - rng.randrange(min(len(data), 8192))
            damaged[at] = rng.choice([0, 0xFF, damaged[at] ^ 0x04])
        else:
            damaged = damaged[: rng.randrange(len(data))]
        path = folder / f"damaged-{i}.ogg"
        path.write_bytes(bytes(damaged))
        out.append(path)
    return out


def test_damaged_files_are_read_as_mutagen_reads_them_or_left_to_it(
    corpus_files: list[Path], tmp_path: Path
) -> None:
    taken = refused_by_both = 0
    for n, source in enumerate(corpus_files[::40]):
        for path in _damaged_copies(source, tmp_path, 90, seed=n):
            direct = _direct(path)
            expected = _mutagen_view(path)
            if direct is not None:
                # Taken directly: only where mutagen reads the file, and then exactly as it does.
                assert expected is not None, f"{path.name}: read a file mutagen refuses"
                assert direct == expected, path.name
                taken += 1
            elif expected is None:
                refused_by_both += 1
    # Both outcomes happen (else the copies would not test the stepping aside).
    assert taken > 50 and refused_by_both > 10, (taken, refused_by_both)


def test_a_chained_file_is_left_to_mutagen(corpus_files: list[Path], tmp_path: Path) -> None:
    """Two streams one after the other (a chained Ogg, as some radio rips are): the last page belongs to
    the second stream, and mutagen's slow search through the whole file finds the first one's end."""
    chained = tmp_path / "chained.ogg"
    chained.write_bytes(corpus_files[0].read_bytes() + corpus_files[1].read_bytes())
    assert _direct(chained) is None
    row = read_track(FileStat(str(chained), chained.stat().st_size, 0.0))
    assert row["duration"] == pytest.approx(mutagen.File(chained).info.length)


def test_the_scan_row_is_the_same_either_way(
    corpus_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``read_track`` with the direct reader and with mutagen alone gives the same rows."""
    picked = corpus_files[::10]
    stats = [FileStat(str(p), p.stat().st_size, p.stat().st_mtime) for p in picked]
    direct_rows = [read_track(s) for s in stats]
    monkeypatch.setattr(ogg_vorbis, "read_vorbis", lambda fh, head: None)
    assert [read_track(s) for s in stats] == direct_rows
    assert {row["format"] for row in direct_rows} == {"oggvorbis"}


def test_other_ogg_formats_are_not_taken_for_vorbis() -> None:
    head = b"OggS" + b"\0" * 24 + b"\x01vorbis"
    assert ogg_vorbis.is_vorbis_head(head)
    for mark in (b"OpusHead", b"\x80theora", b"Speex   ", b"fLaC"):
        assert not ogg_vorbis.is_vorbis_head(head + mark)
    assert not ogg_vorbis.is_vorbis_head(b"RIFF" + head[4:])


def _pages(data: bytes) -> list[tuple[int, OggPage]]:
    """(offset, page) of every page of a plain file."""
    fileobj = io.BytesIO(data)
    out = []
    while fileobj.tell() < len(data):
        offset = fileobj.tell()
        out.append((offset, OggPage(fileobj)))
    return out


def _altered(source: Path, folder: Path, name: str, change: Callable[[bytearray, list], None]) -> Path:
    data = bytearray(source.read_bytes())
    change(data, _pages(bytes(data)))
    path = folder / name
    path.write_bytes(bytes(data))
    return path


def test_each_odd_layout_is_read_as_mutagen_reads_it_or_left_to_it(
    corpus_files: list[Path], tmp_path: Path
) -> None:
    """One change each, aimed where a random byte rarely lands."""
    source = tmp_path / "source.ogg"
    shutil.copyfile(corpus_files[0], source)
    audio = OggVorbis(source)
    audio["TITLE"] = "A title"
    audio.save()

    def framing_unset(data: bytearray, pages: list) -> None:
        offset, page = pages[1]
        packet = page.packets[0]
        at = 7 + 4 + int.from_bytes(packet[7:11], "little")  # past the vendor string
        count = int.from_bytes(packet[at : at + 4], "little")
        at += 4
        for _ in range(count):
            at += 4 + int.from_bytes(packet[at : at + 4], "little")
        assert packet[at] & 1
        data[offset + 27 + data[offset + 26] + at] &= 0xFE

    def key_invalid(data: bytearray, pages: list) -> None:
        offset, _ = pages[1]
        at = data.lower().index(b"title=", offset)
        data[at + 1] = ord("~")  # "t~tle": not a key mutagen keeps

    def unfinished_and_broken(data: bytearray, pages: list) -> None:
        last_offset, _ = pages[-1]
        data[last_offset + 5] &= ~0x04  # the last page no longer says it ends the stream...
        middle_offset, _ = pages[len(pages) // 2]
        data[middle_offset : middle_offset + 4] = b"OggX"  # ...and mutagen's search stops half-way

    def comment_of_another_stream(data: bytearray, pages: list) -> None:
        offset, _ = pages[1]
        data[offset + 14] ^= 0x01

    outcomes = {}
    for name, change in [
        ("framing", framing_unset),
        ("key", key_invalid),
        ("unfinished", unfinished_and_broken),
        ("serial", comment_of_another_stream),
    ]:
        path = _altered(source, tmp_path, f"{name}.ogg", change)
        direct, expected = _direct(path), _mutagen_view(path)
        assert direct is None or direct == expected, name
        outcomes[name] = (direct is not None, expected is not None)
    # What each change does to mutagen: the framing bit and a broken search are refusals or other
    # answers; an invalid key is dropped, and the file is still read directly.
    assert outcomes["framing"] == (False, False)
    assert outcomes["key"] == (True, True)
    assert "t~tle" not in _direct(tmp_path / "key.ogg").tags
    assert _mutagen_view(tmp_path / "unfinished.ogg").length < _mutagen_view(source).length / 2 + 30
