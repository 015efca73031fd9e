"""Readers for the listening data the factors are pretrained on.

Two sources, both read into the same shape (``Interactions``: a users x items CSR matrix of raw play
counts, plus the item ids, display names and MusicBrainz ids):

- ``load_lastfm2k(folder)``: the HetRec 2011 Last.fm set (``user_artists.dat``, ``artists.dat``), artist
  level. ``load_artist_tags(folder)`` reads ``user_taggedartists.dat`` + ``tags.dat`` (latin-1, CRLF)
  into per-artist tag counts for the audio bridge, ``load_tag_rows`` into tag pseudo-listener rows for
  training. ``read_user_artists(path)`` reads any file in the
  ``user_artists.dat`` format (what ``encore evaluate --history`` takes).
- ``recommender.training.msd.load_msd(triplets, metadata)``: the Echo Nest Taste Profile with the MSD
  song metadata (a module of its own: streamed in blocks, songs summed into artists).

Why one shape: pretraining, evaluation and the bundle writer do not care where counts came from.
"""

from __future__ import annotations

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


def _tag_applications(
    folder: Path, item_ids: np.ndarray, users: set[str] | None, min_artists: int
) -> tuple[list[str], list[int], list[int], list[int]]:
    """(kept tag ids in row order, rows, columns, counts) of the tag pseudo-listener rows."""
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
    kept, rows, cols, vals = [], [], [], []
    for tag in sorted(per_tag, key=int):
        per = per_tag[tag]
        if len(per) < min_artists:
            continue
        for j in sorted(per):
            rows.append(len(kept))
            cols.append(j)
            vals.append(per[j])
        kept.append(tag)
    return kept, rows, cols, vals


def load_tag_rows(
    folder: str | os.PathLike[str],
    item_ids: np.ndarray,
    users: set[str] | None = None,
    min_artists: int = 5,
) -> sp.csr_matrix:
    """Tags as pseudo-listeners: one row per tag, counting how many users applied it to each artist.

    Only applications by ``users`` (all if None) count, so a validation split can leave its own users'
    tags out. Tags on fewer than ``min_artists`` of ``item_ids`` are dropped. Rows follow tag id order
    (``load_tag_row_names`` names them).
    """
    kept, rows, cols, vals = _tag_applications(Path(folder), item_ids, users, min_artists)
    return sp.csr_matrix(
        (
            np.asarray(vals, dtype=np.float32),
            (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)),
        ),
        shape=(len(kept), len(item_ids)),
        dtype=np.float32,
    )


def load_tag_row_names(
    folder: str | os.PathLike[str],
    item_ids: np.ndarray,
    users: set[str] | None = None,
    min_artists: int = 5,
) -> list[str]:
    """The tag text of each row of ``load_tag_rows`` with the same arguments (``tags.dat``, Latin-1)."""
    folder = Path(folder)
    kept, *_ = _tag_applications(folder, item_ids, users, min_artists)
    text = {row[0]: row[1] for row in _read_tsv(folder / "tags.dat", encoding="latin-1") if len(row) >= 2}
    return [text.get(t, "") for t in kept]
