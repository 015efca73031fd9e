"""``recommender.csr.CsrRows`` against scipy, and the one-listener scoring built on it: the shipped model's
score of one user equals the batch (scipy) path, and scoring one user never imports scipy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.csr import CsrRows
from recommender.factors.bundle_file import load_bundle

REPO = Path(__file__).resolve().parent.parent


def _random_csr(rng: np.random.Generator, shape: tuple[int, int], density: float) -> sp.csr_matrix:
    """A random CSR matrix whose rows each hold every entry twice, as two halves in reverse column order
    (duplicates and unsorted columns: CSR arrays may have both)."""
    m = sp.random(*shape, density=density, random_state=rng, format="csr")
    data, indices = [], []
    for i in range(shape[0]):
        lo, hi = m.indptr[i], m.indptr[i + 1]
        data += [m.data[lo:hi][::-1] / 2, m.data[lo:hi] / 2]
        indices += [m.indices[lo:hi][::-1], m.indices[lo:hi]]
    indptr = 2 * m.indptr
    return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=shape)


def test_weighted_sum_and_transpose_equal_scipy():
    rng = np.random.default_rng(0)
    for shape, density in (((40, 30), 0.2), ((300, 1000), 0.01), ((5, 7), 0.0)):
        m = _random_csr(rng, shape, density)
        rows = CsrRows.of(m)
        assert rows.nnz == m.nnz and CsrRows.of(rows) is rows
        chosen = rng.integers(0, shape[0], size=6)  # repeats allowed
        weights = rng.normal(size=6)
        vector = sp.csr_matrix((weights, (np.zeros(6, dtype=int), chosen)), shape=(1, shape[0]))
        np.testing.assert_allclose(
            rows.weighted_sum(chosen, weights), (vector @ m).toarray().ravel(), atol=1e-12
        )
        assert rows.weighted_sum(chosen[:0], weights[:0]).shape == (shape[1],)
        np.testing.assert_array_equal(rows.transpose().to_scipy().toarray(), m.T.toarray())
        np.testing.assert_array_equal(rows.row(int(chosen[0])), m[int(chosen[0])].toarray().ravel())


def test_one_listener_scores_equal_the_batch_path():
    bundle = load_bundle()
    model = bundle.model
    assert model.ease is not None and model._rp3 is not None  # the shipped model: all three parts
    users = bundle.train_matrix[:12]
    batch = model(users)
    for j in range(users.shape[0]):
        one = model.score(users[j].indices, users[j].data)
        np.testing.assert_allclose(one, batch[j], atol=1e-9)
    # An item given twice counts once, with its counts summed (as a matrix built from triples sums them).
    row = users[0]
    counts = row.data.astype(np.float64)
    counts[:3] /= 2
    items = np.concatenate([row.indices, row.indices[:3]])
    np.testing.assert_allclose(model.score(items, np.concatenate([counts, counts[:3]])), batch[0], atol=1e-9)


def test_scoring_one_listener_does_not_import_scipy():
    code = (
        "import sys, numpy as np\n"
        "from recommender.factors.bundle_file import load_bundle\n"
        "b = load_bundle()\n"
        "s = b.model.score(np.array([0, 5, 9]), np.array([40.0, 3.0, 1.0]))\n"
        "assert np.isfinite(s).all() and len(s) == b.n_items\n"
        "print('scipy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_the_artist_co_listening_is_the_bundles_knn_between_their_items():
    """``radio.scoring.artist_similarity`` (numpy, no scipy) is the kNN's submatrix between the codes'
    items, as scipy's fancy indexing gives it, also where several codes share an item or have none."""
    from recommender.radio.scoring import artist_similarity, item_of_code

    bundle = load_bundle()
    knn = bundle.item_similarity
    rng = np.random.default_rng(4)
    n_codes = 300
    item_of = rng.choice(np.flatnonzero(np.diff(knn.indptr) > 0), n_codes)
    item_of[rng.random(n_codes) < 0.2] = -1  # artists the bundle does not know
    item_of[0] = int(np.argmax(np.diff(knn.indptr)))
    item_of[10:20] = item_of[0]  # ten codes of one item (spellings of one artist)
    item_of[30:40] = knn[item_of[0]].indices[0]  # ten of one of its neighbours
    codes = rng.integers(0, n_codes, 5000)
    codes[:n_codes] = np.arange(n_codes)
    rows = item_of[codes]
    got = artist_similarity(codes, rows, bundle)
    items = item_of_code(codes, rows, n_codes)
    known = np.flatnonzero(items >= 0)
    sub = knn[items[known]][:, items[known]].tocoo()
    expected = sp.csr_matrix((sub.data, (known[sub.row], known[sub.col])), shape=(n_codes, n_codes))
    assert got.shape == expected.shape and got.nnz == expected.nnz > 0
    assert (got.to_scipy() != expected).nnz == 0
    for code in (0, 10, 15, 30, int(known[-1])):
        assert np.array_equal(got.row(code), expected[code].toarray().ravel())
