"""SQL for the ``analysis`` and ``analysis_errors`` tables: audio embeddings, tags and descriptors.

Vectors are little-endian float32 blobs. Every row carries the model version that produced it
(``MODEL_VERSION``); readers only see rows of the current version, so a model change makes old rows
stale and ``analyze`` redoes exactly those.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from player.store.core import Store, select_in

DESCRIPTORS = ("tempo", "loudness", "brightness", "energy")


MODEL_VERSION = "msd_musicnn-672c85d65fb7-p1"
"""The stamp stored with every analysis row: the audio model's weights (the first 12 hex digits of
``recommender.audio.weights.WEIGHTS_SHA256``; tests/test_audio_model.py holds the two together) and the
analysis pipeline's version (``-pN``: bump it when the preprocessing, the window layout or the stored
statistics change so that old rows are incomparable with new ones). It lives with the store, which
writes and filters by it, so the player needs nothing from the recommender to read its own database;
changing it makes every library analyse again."""


def to_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


@dataclass(frozen=True)
class AnalysisJob:
    """A track that needs analysing."""

    track_id: int
    path: str
    duration: float | None


# An analysis (or a recorded failure) is current when it is of this model version and not older than
# the file (a replaced file is analysed again; an mtime in the future is not held against it). Used by
# both ``tracks_to_analyze`` and ``analysis_counts`` so that the two always agree.
_CURRENT_ANALYSIS = "a.model_version = :version AND NOT (t.mtime > a.analyzed_at AND t.mtime <= :now)"
_CURRENT_ERROR = "e.model_version = :version AND NOT (t.mtime > e.at AND t.mtime <= :now)"


def tracks_to_analyze(
    store: Store, model_version: str | None = None, retry_errors: bool = False, now: float | None = None
) -> list[AnalysisJob]:
    """Present tracks without a current analysis, most recently added or played first.

    A row is current when it has this model version and is newer than the file's mtime (a replaced
    file is re-analysed). Tracks whose decode failed under this version are skipped unless
    ``retry_errors``.
    """
    sql = f"""
        SELECT t.id, t.path, t.duration
        FROM tracks t
        LEFT JOIN analysis a ON a.track_id = t.id AND {_CURRENT_ANALYSIS}
        LEFT JOIN analysis_errors e ON e.track_id = t.id AND {_CURRENT_ERROR}
        LEFT JOIN track_stats s ON s.track_id = t.id
        WHERE t.missing = 0 AND a.track_id IS NULL AND (:retry OR e.track_id IS NULL)
        ORDER BY MAX(t.added_at, COALESCE(s.last_played, 0)) DESC, t.id
    """
    params = {
        "version": model_version or MODEL_VERSION,
        "now": time.time() if now is None else now,
        "retry": int(retry_errors),
    }
    rows = store.conn.execute(sql, params).fetchall()
    return [AnalysisJob(int(r[0]), r[1], r[2]) for r in rows]


def save_analyses(store: Store, rows: Iterable[dict[str, Any]], model_version: str | None = None) -> int:
    """Upsert analyses in one transaction. Each row: track_id, embedding, tags (float32 arrays),
    tempo, loudness, brightness, energy (float or None), windows (patches analysed)."""
    version = model_version or MODEL_VERSION
    now = time.time()
    params = [
        (
            int(r["track_id"]),
            version,
            to_blob(r["embedding"]),
            to_blob(r["tags"]),
            *(None if r.get(k) is None else float(r[k]) for k in DESCRIPTORS),
            r.get("windows"),
            now,
        )
        for r in rows
    ]
    with store.transaction() as conn:
        conn.executemany(
            """INSERT INTO analysis (track_id, model_version, embedding, tags, tempo, loudness, brightness,
                   energy, windows, analyzed_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(track_id) DO UPDATE SET model_version = excluded.model_version,
                   embedding = excluded.embedding, tags = excluded.tags, tempo = excluded.tempo,
                   loudness = excluded.loudness, brightness = excluded.brightness, energy = excluded.energy,
                   windows = excluded.windows, analyzed_at = excluded.analyzed_at""",
            params,
        )
        conn.executemany("DELETE FROM analysis_errors WHERE track_id = ?", [(p[0],) for p in params])
    return len(params)


def save_analysis_errors(
    store: Store, errors: Iterable[tuple[int, str]], model_version: str | None = None
) -> int:
    """Record tracks whose analysis failed (decode errors...), replacing older messages."""
    version = model_version or MODEL_VERSION
    now = time.time()
    params = [(int(tid), version, str(msg)[:1000], now) for tid, msg in errors]
    with store.transaction() as conn:
        conn.executemany(
            """INSERT INTO analysis_errors (track_id, model_version, message, at) VALUES (?, ?, ?, ?)
               ON CONFLICT(track_id) DO UPDATE SET model_version = excluded.model_version,
                   message = excluded.message, at = excluded.at""",
            params,
        )
    return len(params)


def list_analysis_errors(store: Store, model_version: str | None = None) -> list[dict[str, Any]]:
    """Failed analyses of this model version, with the track path."""
    version = model_version or MODEL_VERSION
    rows = store.conn.execute(
        "SELECT e.track_id, t.path, e.message, e.at FROM analysis_errors e JOIN tracks t ON t.id = e.track_id "
        "WHERE e.model_version = ? ORDER BY t.path",
        (version,),
    ).fetchall()
    return [{"track_id": r[0], "path": r[1], "message": r[2], "at": r[3]} for r in rows]


def analysis_counts(
    store: Store, model_version: str | None = None, now: float | None = None
) -> dict[str, int]:
    """How far the library's analysis is: analysed, failed and pending present tracks (and patches)."""
    params = {"version": model_version or MODEL_VERSION, "now": time.time() if now is None else now}
    total, done, patches, failed = store.conn.execute(
        f"""
        SELECT COUNT(*), COUNT(a.track_id), COALESCE(SUM(a.windows), 0),
               COUNT(e.track_id) - COUNT(CASE WHEN e.track_id IS NOT NULL THEN a.track_id END)
        FROM tracks t
        LEFT JOIN analysis a ON a.track_id = t.id AND {_CURRENT_ANALYSIS}
        LEFT JOIN analysis_errors e ON e.track_id = t.id AND {_CURRENT_ERROR}
        WHERE t.missing = 0
        """,
        params,
    ).fetchone()
    return {
        "tracks": total,
        "analyzed": done,
        "failed": failed,
        "pending": max(0, total - done - failed),
        "patches": patches,  # 3-s patches the CNN saw, summed over analysed tracks
    }


def load_analysis_matrix(
    store: Store, model_version: str | None = None, include_missing: bool = False, *, embeddings: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(track_ids int64 [n], embeddings float32 [n, d], tags float32 [n, 50]) of current analyses.

    Rows are ordered by track id; tracks flagged missing are left out unless ``include_missing``;
    ``embeddings=False`` reads the tags only (embeddings then come back as an empty [n, 0] array).
    Read in chunks straight into the result arrays: at 100k tracks the embeddings are 80 MB, and a
    list of every row plus a joined copy tripled that.
    """
    version = model_version or MODEL_VERSION
    where = "WHERE a.model_version = ?" + ("" if include_missing else " AND t.missing = 0")
    join = "FROM analysis a JOIN tracks t ON t.id = a.track_id "
    count = int(store.conn.execute(f"SELECT COUNT(*) {join}{where}", (version,)).fetchone()[0])
    blob = "a.embedding" if embeddings else "NULL"
    cursor = store.conn.execute(
        f"SELECT a.track_id, {blob}, a.tags {join}{where} ORDER BY a.track_id", (version,)
    )
    rows = cursor.fetchmany(2048)
    if not rows or count == 0:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
    d = len(rows[0][1]) // 4 if embeddings else 0
    d_tags = len(rows[0][2]) // 4
    ids = np.empty(count, dtype=np.int64)
    emb = np.empty((count, d), dtype=np.float32)
    tags = np.empty((count, d_tags), dtype=np.float32)
    at = 0
    while rows:
        end = at + len(rows)
        if end > count:  # rows were added since the count (another connection): take what was counted
            rows = rows[: count - at]
            end = count
        ids[at:end] = [r[0] for r in rows]
        if embeddings:
            emb[at:end] = np.frombuffer(b"".join([r[1] for r in rows]), dtype="<f4").reshape(len(rows), d)
        tags[at:end] = np.frombuffer(b"".join([r[2] for r in rows]), dtype="<f4").reshape(len(rows), d_tags)
        at = end
        if at == count:
            break
        rows = cursor.fetchmany(2048)
    return ids[:at], emb[:at], tags[:at]


@dataclass
class AnalysisRows:
    """The current analyses of a list of tracks, in that list's order (``load_analysis_rows``).

    ``embeddings`` float32 [n, d] and ``tags`` float32 [n, 50] (zeros where a track has none; None when
    no track has one), ``analysed`` bool [n], ``descriptors`` name -> float64 [n] (NaN where unknown);
    ``other_ids`` / ``other_tags``: the tags of the ``also`` tracks, by id (tracks a loader leaves out
    but still learns from, such as banned ones)."""

    embeddings: np.ndarray | None
    tags: np.ndarray | None
    analysed: np.ndarray
    descriptors: dict[str, np.ndarray]
    other_ids: np.ndarray
    other_tags: np.ndarray | None


def load_analysis_rows(
    store: Store,
    track_ids: np.ndarray,
    *,
    descriptors: Sequence[str] = (),
    also: Iterable[int] = (),
    model_version: str | None = None,
    by_id: bool = False,
) -> AnalysisRows:
    """The current analyses of ``track_ids`` placed in their order, and of ``also`` by id, in one pass
    over the analysis table (see ``AnalysisRows``); tracks in neither list are skipped. ``by_id``: look
    the tracks up by id instead (for a few of them).

    Why: the radio wants its rows in library order and reads them once at start-up; reading in id
    order and copying would hold the 80 MB of a 100k-track library twice, and a second pass for the
    descriptors or the banned tracks' tags would read the table again."""
    unknown = [d for d in descriptors if d not in DESCRIPTORS]
    if unknown:
        raise ValueError(f"unknown descriptors: {unknown}")
    ids = np.asarray(track_ids, dtype=np.int64)
    extra_ids = np.array(sorted({int(t) for t in also}.difference(ids.tolist())), dtype=np.int64)
    n, m = len(ids), len(extra_ids)
    version = model_version or MODEL_VERSION
    columns = ", ".join(["track_id", "embedding", "tags", *descriptors])
    if by_id:  # a few tracks (rows added to a cache): looked up by id, not a pass over the whole table
        found = select_in(
            store.conn,
            f"SELECT {columns} FROM analysis WHERE model_version = ? AND track_id IN ({{marks}}) ORDER BY track_id",
            sorted({*ids.tolist(), *extra_ids.tolist()}),
            (version,),
        )
        batches: Iterator[list[tuple]] = iter([found] if found else [])
    else:
        cursor = store.conn.execute(
            f"SELECT {columns} FROM analysis WHERE model_version = ? ORDER BY track_id", (version,)
        )
        batches = iter(lambda: cursor.fetchmany(2048), [])
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    emb = tags = other_tags = None
    has = np.zeros(n, dtype=bool)
    other_has = np.zeros(m, dtype=bool)
    desc = {name: np.full(n, np.nan) for name in descriptors}
    for rows in batches if n or m else ():
        chunk = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        if n:
            pos = np.minimum(np.searchsorted(sorted_ids, chunk), n - 1)
            found = sorted_ids[pos] == chunk
            if found.any():
                keep = [r for r, f in zip(rows, found.tolist(), strict=True) if f]
                if emb is None:
                    emb = np.zeros((n, len(keep[0][1]) // 4), dtype=np.float32)
                    tags = np.zeros((n, len(keep[0][2]) // 4), dtype=np.float32)
                target = order[pos[found]]
                emb[target] = np.frombuffer(b"".join([r[1] for r in keep]), dtype="<f4").reshape(
                    len(keep), -1
                )
                tags[target] = np.frombuffer(b"".join([r[2] for r in keep]), dtype="<f4").reshape(
                    len(keep), -1
                )
                has[target] = True
                for j, name in enumerate(descriptors, start=3):
                    desc[name][target] = [np.nan if r[j] is None else r[j] for r in keep]
        if m:
            pos = np.minimum(np.searchsorted(extra_ids, chunk), m - 1)
            found = extra_ids[pos] == chunk
            if found.any():
                keep = [r for r, f in zip(rows, found.tolist(), strict=True) if f]
                if other_tags is None:
                    other_tags = np.zeros((m, len(keep[0][2]) // 4), dtype=np.float32)
                target = pos[found]
                other_tags[target] = np.frombuffer(b"".join([r[2] for r in keep]), dtype="<f4").reshape(
                    len(keep), -1
                )
                other_has[target] = True
    return AnalysisRows(
        embeddings=emb,
        tags=tags,
        analysed=has,
        descriptors=desc,
        other_ids=extra_ids[other_has],
        other_tags=None if other_tags is None else other_tags[other_has],
    )


def get_analysis(store: Store, track_id: int, model_version: str | None = None) -> dict[str, Any] | None:
    """One track's current analysis: embedding and tags as float32 arrays, descriptors, windows."""
    version = model_version or MODEL_VERSION
    cursor = store.conn.execute(
        "SELECT track_id, embedding, tags, tempo, loudness, brightness, energy, windows, analyzed_at "
        "FROM analysis WHERE track_id = ? AND model_version = ?",
        (track_id, version),
    )
    row = cursor.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cursor.description]
    out = dict(zip(names, row, strict=True))
    out["embedding"] = from_blob(out["embedding"])
    out["tags"] = from_blob(out["tags"])
    return out


def load_descriptors(
    store: Store, track_ids: Sequence[int] | None = None, model_version: str | None = None
) -> dict[int, dict[str, float | None]]:
    """track_id -> {tempo (BPM), loudness (LUFS), brightness (Hz), energy} for current analyses."""
    version = model_version or MODEL_VERSION
    sql = "SELECT track_id, tempo, loudness, brightness, energy FROM analysis WHERE model_version = ?"
    if track_ids is None:
        rows = store.conn.execute(sql, (version,)).fetchall()
    else:
        rows = select_in(
            store.conn, sql + " AND track_id IN ({marks})", [int(t) for t in track_ids], (version,)
        )
    return {int(r[0]): dict(zip(DESCRIPTORS, r[1:], strict=True)) for r in rows}
