"""What a candidate artist shares with a user's profile, beyond the generators' scores: its Last.fm
tags and its training listeners. Re-ranker features (``recommender.factors.ranker``).

Why these: the re-ranker over the generators' own scores and ranks bought nothing on validation users
(resources/factors/README.md), because the blend already carries everything those features say. A tag
cosine between the candidate and the profile reads the tag pseudo-listener rows as a description, not
as co-occurrence; the co-listening overlap asks how much of *this* profile the candidate's listeners
played, where RP3beta and EASE score against the whole catalogue's co-occurrence.

Both are read from the bundle's training rows (listeners first, then the tag rows), so they need
nothing new in the bundle; a bundle without tag rows gives a tag cosine of 0.

API: ``OVERLAP_FEATURES``, ``ProfileOverlap(bundle)`` (``(given, cands) -> [users, candidates, 3]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # scipy is imported where the features are built (only with a re-ranker)
    import scipy.sparse as sp

OVERLAP_FEATURES = ("tag_cosine", "colisten_share", "colisten_artists")


def _unit_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    import scipy.sparse as sp

    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return (sp.diags(1.0 / np.maximum(norms, 1e-12)) @ m).tocsr()


class ProfileOverlap:
    """Per (user, candidate): the tag cosine, the mean share of the profile the candidate's training
    listeners played, and the share of the profile's artists that have a listener in common with it."""

    def __init__(self, bundle: Any) -> None:
        import scipy.sparse as sp

        train = sp.csr_matrix(bundle.train_matrix, dtype=np.float64)
        n_users = int(bundle.meta.get("n_user_rows", train.shape[0]))
        listeners = (train[:n_users] > 0).astype(np.float64).tocsr()
        self.listeners_of = listeners.T.tocsr()  # [items, listeners]
        self.popularity = np.maximum(np.diff(self.listeners_of.indptr), 1).astype(np.float64)
        tags = train[n_users:].T.tocsr()  # [items, tags]: each tag row's (scaled) application counts
        tags.data = np.log1p(tags.data)  # a tag many users gave counts more, not proportionally more
        self.tags = _unit_rows(tags)

    def __call__(self, given: sp.csr_matrix, cands: np.ndarray) -> np.ndarray:
        import scipy.sparse as sp

        played = (sp.csr_matrix(given) > 0).astype(np.float64).tocsr()
        size = np.maximum(np.diff(played.indptr), 1).astype(np.float64)
        profile_tags = _unit_rows(played @ self.tags)  # sum of the played artists' unit tag vectors
        shared = np.asarray((played @ self.listeners_of).todense())  # [users, listeners]: profile plays
        out = np.zeros((*cands.shape, len(OVERLAP_FEATURES)))
        for j in range(cands.shape[0]):
            c = cands[j]
            out[j, :, 0] = (self.tags[c] @ profile_tags[j].T).toarray().ravel()
            of_c = self.listeners_of[c]  # [candidates, listeners]
            out[j, :, 1] = (of_c @ shared[j]) / (self.popularity[c] * size[j])
            mine = self.listeners_of[played.indices[played.indptr[j] : played.indptr[j + 1]]]
            common = (mine @ of_c.T).tocsc()  # [profile artists, candidates]: listeners in common
            out[j, :, 2] = np.diff(common.indptr) / size[j]
        return out
