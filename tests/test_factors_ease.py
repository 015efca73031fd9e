"""The pruned EASE part of the shipped model: fitted at pretraining, shipped as its own file beside the
bundle, loaded without pickle, refused with a clear message when damaged or built for another
catalogue, and then the model falls back to the WMF + RP3beta blend."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.factors import notice
from recommender.factors.bundle_file import default_bundle_path, load_bundle, read_bundle, save_bundle
from recommender.factors.ease import EaseError, ease_path_for, read_ease, save_ease
from recommender.factors.scorer import ModelScorer
from recommender.training import data
from recommender.training.als import PretrainConfig
from recommender.training.ease import attach_ease, fit_ease, prune_rows
from recommender.training.pretrain import build_bundle

REPO = Path(__file__).resolve().parent.parent
LASTFM = REPO.parent / "shared" / "data" / "lastfm-2k"
SMALL = PretrainConfig(factors=16, iterations=4)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A small bundle (first 300 Last.fm users) and its EASE file, as ``encore pretrain`` writes them."""
    full = data.load_lastfm2k(LASTFM)
    m = full.matrix[:300]
    cols = np.flatnonzero(np.asarray((m > 0).sum(axis=0)).ravel() > 0)
    inter = data.Interactions(
        matrix=m[:, cols].tocsr(),
        user_ids=full.user_ids[:300],
        item_ids=full.item_ids[cols],
        names=full.names[cols],
        artists=full.artists[cols],
        mbids=full.mbids[cols],
        source="lastfm2k",
        licence=full.licence,
        extra={"folder": str(LASTFM)},
    )
    b = build_bundle(inter, SMALL, None, run_validation=False)
    assert b.ease is not None
    path = save_bundle(b, tmp_path_factory.mktemp("ease") / "small-wmf.npz")
    save_ease(ease_path_for(path), b.ease[0], b.item_ids, b.ease[1])
    return path


def _fresh(path: Path):
    b = read_bundle(path)
    assert b.ease is None
    return b


def test_fit_is_ease_and_pruning_keeps_the_largest_weights():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((60, 12)) < 0.3).astype(np.float32))
    w = fit_ease(x, 60, lam=5.0, min_listeners=1, keep=0).toarray()
    g = (x.T @ x).toarray() + 5.0 * np.eye(12)
    # EASE's closed form: B = I - P diagMat(1/diag(P)), zero diagonal.
    p = np.linalg.inv(g)
    expect = np.eye(12) - p / np.diag(p)
    np.testing.assert_allclose(w, expect, atol=1e-5)
    pruned = prune_rows(w, 3).toarray()
    for i in range(12):
        kept = np.flatnonzero(pruned[i])
        assert len(kept) == 3
        assert np.abs(w[i, kept]).min() >= np.abs(np.delete(w[i], kept)).max() - 1e-9


def test_file_round_trip_without_pickle_and_parity(saved):
    ease_file = ease_path_for(saved)
    assert ease_file.name == "small-ease.npz"
    with np.load(ease_file, allow_pickle=False) as z:
        assert z["data"].dtype == np.float16 and z["indices"].dtype == np.int32
    trained = read_bundle(saved)
    weights, meta = read_ease(ease_file, trained.item_ids)
    assert weights.nnz > 0 and meta["weight"] > 0
    # Training-time scores (weights in memory) and load-time ones (from the file) agree.
    b = read_bundle(saved)
    user = sp.csr_matrix(trained.train_matrix[:5])
    attach_ease(b)
    in_memory = ModelScorer(b)(user)
    loaded = ModelScorer(_fresh(saved))(user)
    np.testing.assert_allclose(in_memory, loaded, atol=2e-2)
    top = np.argsort(-in_memory, axis=1)[:, :20]
    top_loaded = np.argsort(-loaded, axis=1)[:, :20]
    assert np.mean([len(set(a) & set(c)) for a, c in zip(top, top_loaded, strict=True)]) >= 18
    # EASE changes the ranking: the model is not the blend.
    assert not np.allclose(loaded, ModelScorer(_fresh(saved), use_ease=False)(user))


def _damage(src: Path, dst: Path, **arrays) -> None:
    with np.load(src, allow_pickle=False) as z:
        out = {k: z[k] for k in z.files}
    out.update(arrays)
    np.savez(dst, **out)


@pytest.mark.parametrize(
    "how, message",
    [
        ("cut", "not a readable EASE file"),
        ("indptr", "damaged row index"),
        ("column", "column outside the catalogue"),
        ("nan", "non-finite weights"),
        ("catalogue", "another catalogue"),
        ("object", "not a readable EASE file"),
    ],
)
def test_damaged_file_is_refused_and_the_blend_goes_on(saved, tmp_path, capsys, how, message):
    bundle_path = tmp_path / "small-wmf.npz"
    shutil.copy(saved, bundle_path)
    good, bad = ease_path_for(saved), ease_path_for(bundle_path)
    with np.load(good, allow_pickle=False) as z:
        indptr, indices, data_, meta = z["indptr"], z["indices"], z["data"], json.loads(str(z["meta"]))
    if how == "cut":
        bad.write_bytes(good.read_bytes()[:300])
    elif how == "indptr":
        _damage(good, bad, indptr=indptr[::-1].copy())
    elif how == "column":
        cols = indices.copy()
        cols[0] = len(indptr) + 5
        _damage(good, bad, indices=cols)
    elif how == "nan":
        d = data_.copy()
        d[0] = np.nan
        _damage(good, bad, data=d)
    elif how == "catalogue":
        _damage(good, bad, meta=np.array(json.dumps({**meta, "items_sha1": "0" * 40})))
    else:
        _damage(good, bad, data=np.array([object()] * len(data_), dtype=object))
    b = read_bundle(bundle_path)
    with pytest.raises(EaseError, match=message):
        read_ease(bad, b.item_ids)
    notice._WARNED.clear()
    user = sp.csr_matrix(b.train_matrix[:3])
    fallback = ModelScorer(b)
    assert fallback.ease is None
    assert "EASE weights are refused" in capsys.readouterr().err
    np.testing.assert_allclose(fallback(user), ModelScorer(read_bundle(saved), use_ease=False)(user))


def test_missing_file_is_the_blend_silently(saved, tmp_path, capsys):
    bundle_path = tmp_path / "alone-wmf.npz"
    shutil.copy(saved, bundle_path)
    b = read_bundle(bundle_path)
    assert ModelScorer(b).ease is None
    assert "EASE" not in capsys.readouterr().err


def test_shipped_ease_file():
    path = ease_path_for(default_bundle_path())
    assert path.name == "lastfm2k-ease.npz"
    with zipfile.ZipFile(path) as z:
        assert all(n.endswith(".npy") for n in z.namelist())
    total = path.stat().st_size + default_bundle_path().stat().st_size
    assert total <= 10_000_000
    b = load_bundle()
    weights, meta = read_ease(path, b.item_ids)
    assert weights.shape == (b.n_items, b.n_items) and meta["keep"] > 0
    assert np.diff(weights.indptr).max() <= meta["keep"]


def test_the_uncompressed_copy_is_read_as_its_file_and_a_bad_one_is_not_believed(monkeypatch, tmp_path):
    """The shipped EASE file is inflated once and kept uncompressed in the user cache; the copy gives the
    same weights, and a copy that fails the file's checks (NaN weights, a column outside the catalogue,
    a bad blend weight) is read from the file again and written anew. A bad file is never copied."""
    from recommender import array_file

    monkeypatch.setenv("ENCORE_CACHE", str(tmp_path / "cache"))
    bundle = load_bundle()
    path = ease_path_for(default_bundle_path())
    first, meta = read_ease(path, bundle.item_ids)
    (copy,) = (tmp_path / "cache").glob("side-*.arrays")
    written = copy.stat().st_mtime_ns

    def same(weights, got_meta) -> None:
        assert got_meta == meta
        for name in ("data", "indices", "indptr"):
            assert np.array_equal(getattr(weights, name), getattr(first, name))

    same(*read_ease(path, bundle.item_ids))
    assert copy.stat().st_mtime_ns == written  # read from the copy, not written again

    def nan(a):
        a["data"] = a["data"].astype(np.float32)
        a["data"][:5] = np.nan

    def column(a):
        a["indices"][3] = 10**6

    def weight(a):
        a["meta"] = np.array(json.dumps({**json.loads(str(a["meta"])), "weight": -1}))

    def odd_meta(a):  # a check that trips on it (int() of a list) rather than refusing it
        a["meta"] = np.array(json.dumps({**json.loads(str(a["meta"])), "format": [1]}))

    for tamper in (nan, column, weight, odd_meta):
        with open(copy, "rb") as f:
            key, arrays = array_file.read(f)
        tamper(arrays)
        with open(copy, "wb") as f:
            array_file.write(f, key, arrays)
        same(*read_ease(path, bundle.item_ids))
        with open(copy, "rb") as f:
            _key, again = array_file.read(f)
        assert np.isfinite(again["data"]).all() and again["indices"].max() < len(bundle.item_ids)
        assert json.loads(str(again["meta"])) == meta  # the file's, written anew
    # A damaged file is refused as before, and leaves no copy of its own.
    bad = tmp_path / "bad-ease.npz"
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["data"] = arrays["data"].astype(np.float32)
    arrays["data"][0] = np.inf
    np.savez(bad, **arrays)
    before = set((tmp_path / "cache").iterdir())
    with pytest.raises(EaseError, match="non-finite"):
        read_ease(bad, bundle.item_ids)
    assert set((tmp_path / "cache").iterdir()) == before
