"""Readers for the Million Song Dataset's listening data: the Echo Nest Taste Profile (``user \\t song_id \\t
count``) and the MSD song metadata CSV, whose strings are Python bytes literals (``b'Rapha\\xc3\\xabl'``).

Why a module of its own: the Taste Profile is read nothing like the Last.fm set (``recommender.training.data``):
48 million rows streamed in blocks into integer codes, so the whole file fits in about 0.6 GB, and songs
summed into their artists at ``level="artist"`` (which needs metadata for them). Both end in the same
``Interactions``.

API: ``load_msd(triplets, metadata, level="song", progress=None)``, ``read_taste_triplets(path)``,
``read_msd_metadata(path, wanted=None)``, ``SongMeta``, ``bytes_literal(text)``, ``MSD_LICENCE``.
"""

from __future__ import annotations

import ast
import csv
import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.training.data import Interactions, Progress

MSD_LICENCE = (
    "Derived from the Echo Nest Taste Profile Subset and the Million Song Dataset (Thierry Bertin-Mahieux, "
    "Daniel P.W. Ellis, Brian Whitman and Paul Lamere. The Million Song Dataset. ISMIR 2011), "
    "for research / non-commercial use; see http://millionsongdataset.com/."
)


def bytes_literal(text: str) -> str:
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
            song = bytes_literal(row[j_song])
            if wanted is not None and song not in wanted:
                continue
            out[song] = SongMeta(
                artist=bytes_literal(row[j_artist]),
                title=bytes_literal(row[j_title]),
                artist_mbid=bytes_literal(row[j_mbid]) if j_mbid is not None else "",
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
