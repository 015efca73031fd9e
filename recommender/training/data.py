"""Readers for the listening data the factors are pretrained on.

Two sources, both read into the same shape (``Interactions``: a users x items CSR matrix of raw play
counts, plus the item ids, display names and MusicBrainz ids):

- ``load_lastfm2k(folder)``: the HetRec 2011 Last.fm set (``user_artists.dat``, ``artists.dat``), artist
  level. ``load_artist_tags(folder)`` reads ``user_taggedartists.dat`` + ``tags.dat`` (latin-1, CRLF)
  into per-artist tag counts for the audio bridge, ``load_tag_rows`` into tag pseudo-listener rows for
  training (``load_named_tag_rows`` also gives each row's tag text, which the bundle records). ``read_user_artists(path)`` reads any file in the
  ``user_artists.dat`` format (what ``encore evaluate --history`` takes).
- ``load_msd(triplets, metadata)``: the Echo Nest Taste Profile (``user \\t song_id \\t count``) with the
  MSD song metadata CSV, whose strings are Python bytes literals (``b'Rapha\\xc3\\xabl'``). The triplet
  reader streams the file in blocks and keeps only integer codes, so the full 48M-row Taste Profile
  fits in about 0.6 GB; ``level="artist"`` sums songs into their artists (needs metadata for them).

Why one shape: pretraining, evaluation and the bundle writer do not care where counts came from.
"""

from __future__ import annotations

import ast
import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

LASTFM2K_LICENCE = (
    "Derived from hetrec2011-lastfm-2k (Version 1.0, May 2011), listening and tagging data of Last.fm users "
    "(http://www.lastfm.com) released by GroupLens for the HetRec 2011 workshop. The data is made available "
    "for non-commercial use; for commercial use contact Last.fm (http://www.lastfm.com/about/contact). "
    "Cite: Last.fm website, http://www.lastfm.com; and Ivan Cantador, Peter Brusilovsky and Tsvi Kuflik. "
    "2nd Workshop on Information Heterogeneity and Fusion in Recommender Systems (HetRec 2011). "
    "In Proceedings of the 5th ACM Conference on Recommender Systems, RecSys 2011, Chicago, IL, USA."
)
MSD_LICENCE = (
    "Derived from the Echo Nest Taste Profile Subset and the Million Song Dataset (Thierry Bertin-Mahieux, "
    "Daniel P.W. Ellis, Brian Whitman and Paul Lamere. The Million Song Dataset. ISMIR 2011), "
    "for research / non-commercial use; see http://millionsongdataset.com/."
)

Progress = Callable[[int], None]


@dataclass
class Interactions:
    """Raw play counts: ``matrix[u, i]`` = plays of item ``i`` by user ``u`` (CSR, float32)."""

    matrix: sp.csr_matrix
    user_ids: np.ndarray  # str, one per row
    item_ids: np.ndarray  # str, one per column (source ids: Last.fm artistID, MSD song id or artist)
    names: np.ndarray  # str, display names ("Artist" or "Artist - Title")
    artists: np.ndarray  # str, the artist of each item (== names for artist-level data)
    mbids: np.ndarray  # str, MusicBrainz artist id or ""
    level: str = "artist"
    source: str = ""
    licence: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_items(self) -> int:
        return self.matrix.shape[1]

    def subset_users(self, rows: np.ndarray, all_items: bool = False) -> tuple[Interactions, np.ndarray]:
        """The interactions of ``rows`` only, restricted to the items they played (every item with
        ``all_items``), and those items' column indices here. Tags count only for these users
        (``extra["tag_users"]``): tags given by users left out would tell a model which artists they know."""
        train = self.matrix[rows]
        if all_items:
            seen = np.arange(self.n_items)
        else:
            seen = np.flatnonzero(np.asarray((train > 0).sum(axis=0)).ravel() > 0)
        extra = {k: (v[seen] if isinstance(v, np.ndarray) else v) for k, v in self.extra.items()}
        extra["tag_users"] = {str(u) for u in self.user_ids[rows]}
        sub = Interactions(
            matrix=train[:, seen].tocsr(),
            user_ids=self.user_ids[rows],
            item_ids=self.item_ids[seen],
            names=self.names[seen],
            artists=self.artists[seen],
            mbids=self.mbids[seen],
            level=self.level,
            source=self.source,
            licence=self.licence,
            extra=extra,
        )
        return sub, seen


def _read_tsv(path: Path, encoding: str = "utf-8") -> Iterator[list[str]]:
    with open(path, encoding=encoding, newline="") as fh:
        header = True
        for line in fh:
            if header:
                header = False
                continue
            line = line.rstrip("\r\n")
            if line:
                yield line.split("\t")


def read_artist_names(folder: str | os.PathLike[str]) -> dict[str, str]:
    """``artists.dat``: artistID -> name."""
    return {row[0]: row[1] for row in _read_tsv(Path(folder) / "artists.dat") if len(row) >= 2}


def read_user_artists(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``user_artists.dat``-style file: (user ids, artist ids, counts) as parallel arrays."""
    users, artists, counts = [], [], []
    for row in _read_tsv(Path(path)):
        if len(row) < 3:
            raise ValueError(f"{path}: expected userID, artistID, weight columns, got {row!r}")
        users.append(row[0])
        artists.append(row[1])
        counts.append(float(row[2]))
    return np.array(users, dtype=str), np.array(artists, dtype=str), np.array(counts, dtype=np.float32)


def _encode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values in first-seen order and each value's code (deterministic, unlike a set)."""
    uniq, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    return uniq[order], remap[inverse]


def interactions_from_triples(
    users: np.ndarray, items: np.ndarray, counts: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """CSR matrix (duplicates summed) with users and items in first-seen order."""
    user_ids, u = _encode(users)
    item_ids, i = _encode(items)
    matrix = sp.csr_matrix(
        (counts.astype(np.float32), (u, i)), shape=(len(user_ids), len(item_ids)), dtype=np.float32
    )
    matrix.sum_duplicates()
    return matrix, user_ids, item_ids


def load_lastfm2k(folder: str | os.PathLike[str]) -> Interactions:
    """The Last.fm 2k listening counts (artist level). Artists nobody listened to are left out.
    (The caller records ``extra["folder"]`` when it wants the folder's tags as rows.)"""
    inter, _ = interactions_from_history(Path(folder) / "user_artists.dat", tags=False)
    return inter


def interactions_from_history(
    history: str | os.PathLike[str], tags: bool = True
) -> tuple[Interactions, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A ``user_artists.dat``-style file as ``Interactions`` (artist names from ``artists.dat`` beside it
    when there is one; with ``tags``, its folder recorded for the tag rows when ``user_taggedartists.dat``
    lies there too), and the file's (user, artist, count) triples."""
    path = Path(history)
    users, artists, counts = read_user_artists(path)
    matrix, user_ids, item_ids = interactions_from_triples(users, artists, counts)
    folder = path.parent
    names_by_id = read_artist_names(folder) if (folder / "artists.dat").exists() else {}
    names = np.array([names_by_id.get(a, a) for a in item_ids], dtype=str)
    inter = Interactions(
        matrix=matrix,
        user_ids=user_ids,
        item_ids=item_ids,
        names=names,
        artists=names,
        mbids=np.full(len(item_ids), "", dtype=str),
        level="artist",
        source="lastfm2k",
        licence=LASTFM2K_LICENCE,
        extra={"folder": str(folder)} if tags and (folder / "user_taggedartists.dat").exists() else {},
    )
    return inter, (users, artists, counts)


def load_artist_tags(
    folder: str | os.PathLike[str], users: set[str] | None = None
) -> dict[str, dict[str, int]]:
    """``user_taggedartists.dat`` as artistID -> {tag text: number of (user, tag) applications}.

    Only applications by ``users`` count when given (held-out users' tags must not train anything).
    """
    folder = Path(folder)
    tag_names = {
        row[0]: row[1] for row in _read_tsv(folder / "tags.dat", encoding="latin-1") if len(row) >= 2
    }
    out: dict[str, dict[str, int]] = {}
    for row in _read_tsv(folder / "user_taggedartists.dat"):
        tag = tag_names.get(row[2])
        if tag is None or (users is not None and row[0] not in users):
            continue
        per = out.setdefault(row[1], {})
        per[tag] = per.get(tag, 0) + 1
    return out


# --- Million Song Dataset -------------------------------------------------------------------------


def _bytes_literal(text: str) -> str:
    """``b'Rapha\\xc3\\xabl'`` -> ``Raphaël``; plain text passes through."""
    text = text.strip()
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text[2:-1]
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
    return text


@dataclass
class SongMeta:
    artist: str
    title: str
    artist_mbid: str


def read_msd_metadata(path: str | os.PathLike[str], wanted: set[str] | None = None) -> dict[str, SongMeta]:
    """song_id -> SongMeta from an MSD song metadata CSV (streamed; bytes literals decoded).

    ``wanted`` keeps only those song ids, which bounds memory for the 1M-song full metadata.
    """
    out: dict[str, SongMeta] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        col = {name: j for j, name in enumerate(header)}
        for key in ("song_id", "artist_name", "title"):
            if key not in col:
                raise ValueError(f"{path}: no {key!r} column (columns: {header})")
        j_song, j_artist, j_title = col["song_id"], col["artist_name"], col["title"]
        j_mbid = col.get("artist_mbid")
        for row in reader:
            if len(row) <= max(j_song, j_artist, j_title):
                continue
            song = _bytes_literal(row[j_song])
            if wanted is not None and song not in wanted:
                continue
            out[song] = SongMeta(
                artist=_bytes_literal(row[j_artist]),
                title=_bytes_literal(row[j_title]),
                artist_mbid=_bytes_literal(row[j_mbid]) if j_mbid is not None else "",
            )
    return out


def read_taste_triplets(
    path: str | os.PathLike[str], block_lines: int = 1_000_000, progress: Progress | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list[str]]:
    """Stream ``user \\t song \\t count`` lines into int32 codes.

    Returns (user codes, song codes, counts float32, user ids, song ids), codes in first-seen order.
    Only the distinct ids are kept as strings; each block of lines becomes three small arrays.
    """
    user_index: dict[str, int] = {}
    song_index: dict[str, int] = {}
    u_blocks: list[np.ndarray] = []
    s_blocks: list[np.ndarray] = []
    c_blocks: list[np.ndarray] = []
    done = 0
    with open(path, encoding="utf-8", newline="") as fh:
        while True:
            lines = fh.readlines(block_lines * 64)
            if not lines:
                break
            us = np.empty(len(lines), dtype=np.int32)
            ss = np.empty(len(lines), dtype=np.int32)
            cs = np.empty(len(lines), dtype=np.float32)
            n = 0
            for line in lines:
                parts = line.split("\t")
                if len(parts) < 3:
                    if line.strip():
                        raise ValueError(f"{path}: expected user, song, count; got {line!r}")
                    continue
                u = user_index.get(parts[0])
                if u is None:
                    u = user_index[parts[0]] = len(user_index)
                s = song_index.get(parts[1])
                if s is None:
                    s = song_index[parts[1]] = len(song_index)
                us[n] = u
                ss[n] = s
                cs[n] = float(parts[2])
                n += 1
            u_blocks.append(us[:n])
            s_blocks.append(ss[:n])
            c_blocks.append(cs[:n])
            done += n
            if progress is not None:
                progress(done)
    empty_i = np.empty(0, dtype=np.int32)
    return (
        np.concatenate(u_blocks) if u_blocks else empty_i,
        np.concatenate(s_blocks) if s_blocks else empty_i,
        np.concatenate(c_blocks) if c_blocks else np.empty(0, dtype=np.float32),
        list(user_index),
        list(song_index),
    )


def load_msd(
    triplets: str | os.PathLike[str],
    metadata: str | os.PathLike[str] | None,
    level: str = "song",
    progress: Progress | None = None,
) -> Interactions:
    """Taste Profile counts with MSD metadata, at song level (default) or summed into artists.

    Songs without metadata keep their song id as display name at song level and are dropped at
    artist level (there is no artist to add them to).
    """
    if level not in ("song", "artist"):
        raise ValueError(f"level must be 'song' or 'artist', not {level!r}")
    u, s, c, user_ids, song_ids = read_taste_triplets(triplets, progress=progress)
    meta = read_msd_metadata(metadata, wanted=set(song_ids)) if metadata else {}
    n_users = len(user_ids)
    extra = {"rows": int(len(c)), "songs": len(song_ids), "songs_with_metadata": len(meta)}
    if level == "song":
        matrix = sp.csr_matrix((c, (u, s)), shape=(n_users, len(song_ids)), dtype=np.float32)
        matrix.sum_duplicates()
        artists = np.array([meta[x].artist if x in meta else "" for x in song_ids], dtype=str)
        names = np.array(
            [f"{meta[x].artist} - {meta[x].title}" if x in meta else x for x in song_ids], dtype=str
        )
        mbids = np.array([meta[x].artist_mbid if x in meta else "" for x in song_ids], dtype=str)
        item_ids = np.array(song_ids, dtype=str)
        extra["titles"] = np.array([meta[x].title if x in meta else "" for x in song_ids], dtype=str)
    else:
        # Artist level: one column per distinct artist name (first-seen order over songs).
        artist_of_song = np.full(len(song_ids), -1, dtype=np.int64)
        artist_index: dict[str, int] = {}
        artist_mbid: list[str] = []
        for j, song in enumerate(song_ids):
            m = meta.get(song)
            if m is None or not m.artist:
                continue
            a = artist_index.get(m.artist)
            if a is None:
                a = artist_index[m.artist] = len(artist_index)
                artist_mbid.append(m.artist_mbid)
            artist_of_song[j] = a
        cols = artist_of_song[s]
        keep = cols >= 0
        matrix = sp.csr_matrix(
            (c[keep], (u[keep], cols[keep])), shape=(n_users, len(artist_index)), dtype=np.float32
        )
        matrix.sum_duplicates()
        item_ids = names = artists = np.array(list(artist_index), dtype=str)
        mbids = np.array(artist_mbid, dtype=str)
    # Users left without any counted item (artist level, no metadata) would only add zero rows.
    active = np.diff(matrix.indptr) > 0
    matrix = matrix[active]
    return Interactions(
        matrix=matrix.tocsr(),
        user_ids=np.array(user_ids, dtype=str)[active],
        item_ids=item_ids,
        names=names,
        artists=artists,
        mbids=mbids,
        level=level,
        source="msd",
        licence=MSD_LICENCE,
        extra=extra,
    )


def load_tag_rows(
    folder: str | os.PathLike[str],
    item_ids: np.ndarray,
    users: set[str] | None = None,
    min_artists: int = 5,
) -> sp.csr_matrix:
    """Tags as pseudo-listeners: one row per tag, counting how many users applied it to each artist.

    Only applications by ``users`` (all if None) count, so a validation split can leave its own users'
    tags out. Tags on fewer than ``min_artists`` of ``item_ids`` are dropped. Rows follow tag id order.
    """
    return load_named_tag_rows(folder, item_ids, users, min_artists)[0]


def load_named_tag_rows(
    folder: str | os.PathLike[str],
    item_ids: np.ndarray,
    users: set[str] | None = None,
    min_artists: int = 5,
) -> tuple[sp.csr_matrix, list[str]]:
    """``load_tag_rows`` and the tag text of each row (from ``tags.dat``), in row order.

    The names go into the bundle so that the run time can find a tag's pseudo-listener row from a
    word (a file's genre tag, a folder name) and place an unknown artist near the tag's artists."""
    folder = Path(folder)
    tag_text = {row[0]: row[1] for row in _read_tsv(folder / "tags.dat", encoding="latin-1") if len(row) >= 2}
    col = {str(a): j for j, a in enumerate(item_ids)}
    per_tag: dict[str, dict[int, int]] = {}
    for row in _read_tsv(folder / "user_taggedartists.dat"):
        if users is not None and row[0] not in users:
            continue
        j = col.get(row[1])
        if j is None:
            continue
        per = per_tag.setdefault(row[2], {})
        per[j] = per.get(j, 0) + 1
    rows, cols, vals = [], [], []
    names: list[str] = []
    for tag in sorted(per_tag, key=int):
        per = per_tag[tag]
        if len(per) < min_artists:
            continue
        for j in sorted(per):
            rows.append(len(names))
            cols.append(j)
            vals.append(per[j])
        names.append(tag_text.get(tag, ""))
    matrix = sp.csr_matrix(
        (
            np.asarray(vals, dtype=np.float32),
            (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)),
        ),
        shape=(len(names), len(item_ids)),
        dtype=np.float32,
    )
    return matrix, names
