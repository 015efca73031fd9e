"""The audio-to-factor bridge: vocabulary, the regression on real Last.fm tag profiles (beats random
and the mean vector on held-out artists), and prediction from tag probabilities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recommender.factors.bridge import (
    MUSICNN_TAGS,
    features,
    predict_artist_factors,
    tag_profile_matrix,
    vocab_index,
)
from recommender.factors.bundle_file import load_bundle
from recommender.training import data
from recommender.training.bridge_fit import fit_bridge

REPO = Path(__file__).resolve().parent.parent
LASTFM = REPO.parent / "shared" / "data" / "lastfm-2k"


@pytest.fixture(scope="module")
def tags():
    return data.load_artist_tags(LASTFM)


def test_vocabulary_is_the_audio_models():
    shipped = json.loads((REPO / "resources" / "musicnn" / "msd_tags.json").read_text())
    assert list(MUSICNN_TAGS) == shipped and len(MUSICNN_TAGS) == 50


def test_free_text_tags_fold_onto_the_vocabulary():
    idx = {t: j for j, t in enumerate(MUSICNN_TAGS)}
    assert vocab_index("hip hop") == vocab_index("Hip-Hop") == idx["Hip-Hop"]
    assert vocab_index("R&B") == idx["rnb"]
    assert vocab_index("mellow") == idx["Mellow"]
    assert vocab_index("Female Vocalist") == idx["female vocalist"] != idx["female vocalists"]
    assert vocab_index("progressive rock") == idx["Progressive rock"]
    assert vocab_index("chill out") == idx["chillout"]
    assert vocab_index("death metal") is None


def test_profiles_and_features(tags):
    bundle = load_bundle()
    ids = bundle.item_ids[:500]
    prof = tag_profile_matrix(ids, tags)
    assert prof.shape == (500, 50) and prof.sum() > 1000
    x = features(prof)
    assert x.shape == (500, 51) and np.allclose(x[:, -1], 1.0)
    nz = prof.sum(axis=1) > 0
    assert np.allclose(np.linalg.norm(x[nz, :50], axis=1), 1.0)
    # Scale-free: a profile and the same profile x 7 (counts vs probabilities) give the same features.
    np.testing.assert_allclose(features(prof[:5] * 7.0), x[:5])


def test_bridge_beats_random_on_held_out_artists(tags):
    bundle = load_bundle()
    arrays, report = fit_bridge(bundle, tags, seed=11)
    assert arrays["weights"].shape == (51, bundle.k) and arrays["weights"].dtype == np.float32
    assert report["held_out"] > 500
    assert report["cosine_mean"] > report["cosine_mean_baseline_mean_vector"] + 0.2
    assert report["recall@20_neighbours"] > 20 * report["recall@20_neighbours_random"]
    assert report["recall@20_neighbours"] > 5 * report["recall@20_neighbours_mean_vector"]
    # The shipped bundle carries its own figures (quoted in resources/factors/README.md).
    shipped = bundle.meta["bridge"]
    assert shipped["cosine_mean"] > 0.4 and shipped["recall@20_neighbours"] > 0.1


def test_predict_artist_factors(tags):
    bundle = load_bundle()
    metal = np.zeros(50)
    metal[[MUSICNN_TAGS.index(t) for t in ("metal", "heavy metal", "hard rock")]] = [0.9, 0.7, 0.4]
    pop = np.zeros(50)
    pop[[MUSICNN_TAGS.index(t) for t in ("pop", "dance", "female vocalists")]] = [0.9, 0.6, 0.7]
    pred = predict_artist_factors(np.stack([metal, pop]), bundle)
    assert pred.shape == (2, bundle.k) and pred.dtype == np.float32
    y = bundle.normalised_factors
    near_metal = [str(bundle.names[i]) for i in np.argsort(-(y @ pred[0]))[:30]]
    near_pop = [str(bundle.names[i]) for i in np.argsort(-(y @ pred[1]))[:30]]
    assert not set(near_metal) & set(near_pop)
    met, gaga = bundle.key_index["metallica"], bundle.key_index["ladygaga"]
    cos = lambda v, i: float(v @ y[i] / np.linalg.norm(v))  # noqa: E731
    assert cos(pred[0], met) > cos(pred[0], gaga) and cos(pred[1], gaga) > cos(pred[1], met)
    with pytest.raises(ValueError):
        predict_artist_factors(np.zeros((1, 49)), bundle)
