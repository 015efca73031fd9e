"""Exact nearest-neighbour search over the library's audio embeddings (cosine similarity).

One float32 matrix of L2-normalised embeddings, loaded from the store on first use; a query is one
matrix-vector product plus a partial sort: ~2 ms for 100k tracks, fine up to ~500k on a laptop.
Callers: ``sounds-like``, the radio (seed neighbourhoods, smooth transitions) and the UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from recommender.ranking import top_k

if TYPE_CHECKING:
    from player.store import Store

Loader = Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]


def tag_names() -> list[str]:
    """The 50 MSD tags, in the order of the stored tag vectors."""
    from recommender.audio.model import tag_names as names

    return list(names())


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


class AudioIndex:
    """Cosine nearest neighbours among analysed tracks. Build with ``AudioIndex.from_store(store)``."""

    def __init__(self, loader: Loader) -> None:
        self._loader = loader
        self._ids: np.ndarray | None = None
        self._matrix: np.ndarray | None = None
        self._tags: np.ndarray | None = None
        self._row: dict[int, int] = {}

    @classmethod
    def from_store(cls, store: Store, model_version: str | None = None) -> AudioIndex:
        """An index over the store's current analyses; nothing is read until the first query."""
        from player.store.analysis import load_analysis_matrix

        return cls(lambda: load_analysis_matrix(store, model_version))

    def _load(self) -> None:
        if self._matrix is not None:
            return
        ids, emb, tags = self._loader()
        self._ids = np.asarray(ids, dtype=np.int64)
        self._matrix = normalise(emb) if len(ids) else np.zeros((0, 0), np.float32)
        self._tags = np.asarray(tags, dtype=np.float32)
        self._row = {int(t): i for i, t in enumerate(self._ids)}

    def reload(self) -> None:
        """Forget the matrix; the next query reads the store again (after ``analyze`` ran)."""
        self._matrix = None

    @property
    def track_ids(self) -> np.ndarray:
        self._load()
        return self._ids

    @property
    def dim(self) -> int:
        self._load()
        return int(self._matrix.shape[1]) if self._matrix.size else 0

    def __len__(self) -> int:
        self._load()
        return len(self._ids)

    def __contains__(self, track_id: object) -> bool:
        self._load()
        return isinstance(track_id, int | np.integer) and int(track_id) in self._row

    def vector(self, track_id: int) -> np.ndarray:
        """The unit-length embedding of an analysed track (KeyError if it has none)."""
        self._load()
        row = self._row.get(int(track_id))
        if row is None:
            raise KeyError(f"track {track_id} has no current audio analysis")
        return self._matrix[row]

    def tags(self, track_id: int) -> np.ndarray:
        """The 50 tag probabilities of an analysed track."""
        self._load()
        row = self._row.get(int(track_id))
        if row is None:
            raise KeyError(f"track {track_id} has no current audio analysis")
        return self._tags[row]

    def scores(self, query: int | np.ndarray) -> np.ndarray:
        """Cosine similarity of the query (track id or embedding) to every indexed track [n]."""
        self._load()
        q = self.vector(query) if isinstance(query, int | np.integer) else normalise(query)
        return self._matrix @ q if len(self._ids) else np.zeros(0, np.float32)

    def nearest(
        self, query: int | np.ndarray, n: int = 10, exclude: Iterable[int] = ()
    ) -> list[tuple[int, float]]:
        """The ``n`` most similar tracks as (track_id, cosine), best first.

        ``query`` is a track id (that track is excluded from the answer) or an embedding vector
        (e.g. from ``analyze_file`` for a file outside the library). ``exclude``: ids to leave out.
        """
        scores = self.scores(query).astype(np.float32, copy=True)
        if scores.size == 0 or n <= 0:
            return []
        banned = [self._row[t] for t in {int(t) for t in exclude} if t in self._row]
        if isinstance(query, int | np.integer):
            banned.append(self._row[int(query)])
        return [(int(self._ids[i]), float(scores[i])) for i in top_k(scores, banned, n)]
