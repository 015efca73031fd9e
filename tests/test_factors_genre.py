"""Genre and folder words place artists the listening data does not know (issue 21, item 7)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from recommender.factors.bundle import load_bundle
from recommender.factors.genre import TagVocabulary, artist_words, combine, place_unmatched, words_of


def test_words_from_genre_tags_and_folders():
    w = words_of(["Romantic Classical"], ["/m/wesnoth-1.16-music/games/wesnoth/1.16/data/core/music/x.ogg"])
    assert w == Counter({"romantic classical": 1.0, "classical": 0.5, "romantic": 0.2})
    assert words_of(["Game"], []) == Counter({"video game music": 1.0})  # another name in the catalogue
    w = words_of(["Death Metal; Thrash"], ["/home/me/Music/Soundtracks/Jazz_Standards v2/01.flac"])
    assert w["death metal"] == 1.0 and w["metal"] == 0.5 and w["thrash"] == 1.0
    assert w["soundtracks"] == 0.25 and w["jazz"] == 0.25 and w["standards"] == 0.25
    assert not {"home", "music", "v2", "01", "flac"} & set(w)
    rows = [(1, "Soundtrack", "/a/b/c.ogg"), (2, None, "/a/b/d.ogg"), (3, "Jazz", "/x/y/z.ogg")]
    by_artist = artist_words(rows, {1: "A", 2: "A", 3: "B"})
    assert by_artist["A"]["soundtrack"] == 1.0 and by_artist["B"]["jazz"] == 1.0


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


def test_the_shipped_bundle_places_its_tag_vocabulary(bundle):
    vocab = TagVocabulary(bundle)
    assert len(vocab.index) > 1000 and vocab.factors.shape == (len(bundle.bridge["tag_names"]), bundle.k)
    assert {"soundtrack", "classical", "death metal", "video game music"} <= set(vocab.index)
    assert np.isfinite(vocab.factors).all()
    assert vocab.match(Counter({"soundtrack": 1.0, "no such tag": 1.0})) == {"soundtrack": 1.0}


def test_a_soundtrack_artist_moves_toward_the_catalogues_soundtrack_corner(bundle):
    """An unknown artist whose sound the bridge puts among indie-rock artists (Radiohead's factors as a
    stand-in) but whose files say "Soundtrack" reaches the catalogue's soundtrack artists."""
    radiohead = int(np.flatnonzero(bundle.names == "Radiohead")[0])
    sound = np.asarray(bundle.item_factors[radiohead], dtype=np.float32)
    vocab = TagVocabulary(bundle)
    soundtrack = vocab.position(Counter({"soundtrack": 1.0}))
    norms = np.maximum(np.linalg.norm(bundle.item_factors, axis=1), 1e-12)
    scores = (bundle.item_factors @ soundtrack) / norms
    scores[np.asarray(bundle.popularity) < 3] = -np.inf
    corner = np.argsort(-scores)[:50]  # the catalogue's 50 artists nearest "soundtrack"
    placed = place_unmatched(["X"], {"X": sound}, {"X": Counter({"soundtrack": 1.0})}, bundle)["X"]
    y = bundle.item_factors[corner] / np.linalg.norm(bundle.item_factors[corner], axis=1, keepdims=True)
    closer = (y @ (placed / np.linalg.norm(placed))).mean() - (y @ (sound / np.linalg.norm(sound))).mean()
    assert closer > 0.05  # the whole soundtrack corner comes nearer
    rank = {int(i): r for r, i in enumerate(np.argsort(-(bundle.item_factors @ placed)))}
    before = {int(i): r for r, i in enumerate(np.argsort(-(bundle.item_factors @ sound)))}
    assert np.median([rank[int(i)] for i in corner]) < np.median([before[int(i)] for i in corner])
    assert placed.dtype == np.float32 and np.linalg.norm(placed) > 0
    assert place_unmatched(["X"], {"X": sound}, {}, bundle)["X"] is sound  # no words: the sound alone
    assert place_unmatched(["Y"], {}, {"Y": Counter({"soundtrack": 1.0})}, bundle) == {}  # no sound: unplaced
    assert combine(None, soundtrack, 1.0) is None


def test_tag_positions_refuse_names_that_do_not_fit_the_rows(bundle):
    from recommender.training.pretrain import tag_positions

    with pytest.raises(ValueError, match="tag names"):
        tag_positions(bundle, ["only one"])


def test_a_damaged_tag_vocabulary_is_refused(tmp_path):
    from recommender.factors.bundle import BundleError, default_bundle_path, read_bundle

    with np.load(default_bundle_path(), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    for name, bad in (
        ("bridge_tag_factors", arrays["bridge_tag_factors"][:3]),  # fewer positions than names
        ("bridge_tag_names", np.arange(len(arrays["bridge_tag_names"]))),  # not text
    ):
        path = tmp_path / f"{name}.npz"
        np.savez(path, **{**arrays, name: bad})
        with pytest.raises(BundleError, match="bridge_tag"):
            read_bundle(path)
