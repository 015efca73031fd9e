"""Pretraining and the bundle file: determinism of a rebuild, round trip without pickle, the MSD path,
and the shipped bundle itself."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from main import main
from recommender.factors.bundle_file import default_bundle_path, load_bundle, read_bundle, save_bundle
from recommender.training import data
from recommender.training.als import PretrainConfig
from recommender.training.pretrain import build_bundle

REPO = Path(__file__).resolve().parent.parent
LASTFM = REPO.parent / "shared" / "data" / "lastfm-2k"
MSD = REPO.parent / "shared" / "data" / "msd-fragments"

SMALL = PretrainConfig(factors=16, iterations=4, rp3_neighbours=50)


@pytest.fixture(scope="module")
def small_inter() -> data.Interactions:
    """The first 400 Last.fm users (all their artists), with tags as side rows."""
    full = data.load_lastfm2k(LASTFM)
    rows = np.arange(400)
    m = full.matrix[rows]
    cols = np.flatnonzero(np.asarray((m > 0).sum(axis=0)).ravel() > 0)
    return data.Interactions(
        matrix=m[:, cols].tocsr(),
        user_ids=full.user_ids[rows],
        item_ids=full.item_ids[cols],
        names=full.names[cols],
        artists=full.artists[cols],
        mbids=full.mbids[cols],
        source="lastfm2k",
        licence=full.licence,
        extra={"folder": str(LASTFM)},
    )


def test_rebuild_is_reproducible(small_inter, tmp_path):
    tags = data.load_artist_tags(LASTFM)
    a = build_bundle(small_inter, SMALL, tags, run_validation=False)
    b = build_bundle(small_inter, SMALL, tags, run_validation=False)
    np.testing.assert_allclose(a.item_factors, b.item_factors, rtol=0, atol=1e-5)
    np.testing.assert_allclose(a.bridge["weights"], b.bridge["weights"], atol=1e-5)
    assert a.meta == b.meta and a.meta["n_tag_rows"] > 0
    # Each tag pseudo-listener row is named (the genre words look tags up by name); no stored positions.
    assert a.tag_names is not None and len(a.tag_names) == a.meta["n_tag_rows"]
    np.testing.assert_array_equal(a.tag_names, b.tag_names)
    assert "tag_factors" not in a.bridge
    # A different seed gives different factors: the determinism is the seed's doing.
    c = build_bundle(small_inter, replace(SMALL, seed=7), None, run_validation=False)
    assert not np.allclose(a.item_factors, c.item_factors, atol=1e-3)
    # Round trip through the file, loadable without pickle.
    path = save_bundle(a, tmp_path / "small.npz")
    with np.load(path, allow_pickle=False) as z:
        assert all(z[name].dtype != object for name in z.files)
        assert z["item_factors"].dtype == np.float32
    r = read_bundle(path)
    np.testing.assert_array_equal(r.item_factors, a.item_factors)
    for name in (
        "item_ids",
        "names",
        "keys",
        "mbids",
        "popularity",
        "train_indptr",
        "train_indices",
        "train_counts",
    ):
        np.testing.assert_array_equal(getattr(r, name), getattr(a, name))
    np.testing.assert_array_equal(r.tag_names, a.tag_names)
    assert r.meta["hyperparameters"]["factors"] == 16 and "Cantador" in r.meta["licence"]
    assert r.meta["version"] and r.meta["format"] == 1
    # The loader caches per path.
    assert load_bundle(path) is load_bundle(path)


def test_user_fold_in_uses_the_bundle_confidence(small_inter):
    b = build_bundle(small_inter, SMALL, None, run_validation=False)
    items = np.array([0, 5, 9])
    counts = np.array([100.0, 3.0, 1.0])
    conf = 1 + SMALL.alpha * np.log1p(counts / SMALL.eps)
    np.testing.assert_allclose(b.confidence(counts), conf)
    np.testing.assert_allclose(b.user_vector(items, counts), b.foldin.solve(items, conf))
    scores = b.model.score(items, counts)
    assert scores.shape == (b.n_items,) and np.isfinite(scores).all()


def test_pretrain_msd_fragment_cli(tmp_path, capsys):
    out = tmp_path / "msd.npz"
    argv = ["pretrain", "--source", "msd", str(MSD / "taste_profile_fragment.txt"),
            str(MSD / "msd_subset_song_data.csv"), "--out", str(out), "--factors", "8",
            "--iterations", "3", "--no-validation", "--cpu"]  # fmt: skip
    assert main(argv) == 0
    b = read_bundle(out)
    assert b.n_items == 9071 and b.k == 8 and b.meta["source"] == "msd" and b.meta["level"] == "song"
    assert b.meta["n_users"] == 1630 and "Million Song Dataset" in b.meta["licence"]
    assert sum(1 for k in b.keys if k) == 160  # songs with metadata have artist\x1ftitle keys
    i = (
        int(np.flatnonzero(b.item_ids == "SOGSMXL12A81C23D88")[0])
        if "SOGSMXL12A81C23D88" in set(b.item_ids)
        else None
    )
    if i is not None:
        assert b.names[i].startswith("Raphaël - ")
    assert "wrote" in capsys.readouterr().out
    assert main(["pretrain", "--source", "msd", str(tmp_path / "nope.txt"), "--out", str(out)]) == 2


def test_shipped_bundle():
    path = default_bundle_path()
    assert path.exists() and path.stat().st_size < 6_000_000
    with zipfile.ZipFile(path) as z:  # nothing but plain arrays
        assert all(n.endswith(".npy") for n in z.namelist())
    b = load_bundle()
    assert b.item_factors.dtype == np.float32 and b.item_factors.shape == (b.n_items, b.k)
    assert b.n_items == 15429 and b.k == b.meta["hyperparameters"]["factors"]
    assert len(b.names) == len(b.keys) == len(b.popularity) == b.n_items
    assert b.meta["source"] == "lastfm2k" and "Cantador" in b.meta["licence"]
    assert b.user_matrix.shape == (b.meta["n_users"], b.n_items) and b.user_matrix.nnz == 74334
    v = b.meta["validation"]
    assert v["model"]["recall@20"] > v["item_knn"]["recall@20"] > v["popularity"]["recall@20"]
    assert v["model"]["ndcg@100"] > v["wmf"]["ndcg@100"]
    json.dumps(b.meta)
    readme = (path.parent / "README.md").read_text()
    assert "main.py pretrain --source lastfm2k" in readme and "Cantador" in readme
