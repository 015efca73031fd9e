"""Genre words (issue 21, item 7): files' genre tags, folders and album titles matched against the
bundle's Last.fm tag vocabulary, and unknown artists placed with them (the shipped bundle, the real
corpus, a real SQLite file)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from player.store import Store
from recommender.factors.bridge import audio_factors_for_unmatched, place_artists
from recommender.factors.bundle_check import BundleError
from recommender.factors.bundle_file import load_bundle, read_bundle
from recommender.factors.genre import TagVocabulary, fold_phrase, vocabulary_of
from recommender.factors.match import match_library
from recommender.radio.library import LibraryParts
from recommender.radio.load import load_library
from recommender.similar.index import SimilarIndex

WESNOTH = "Mattias Westlund"


@pytest.fixture(scope="module")
def bundle():
    return load_bundle()


@pytest.fixture(scope="module")
def vocab(bundle) -> TagVocabulary:
    return vocabulary_of(bundle)


def _row(vocab: TagVocabulary, tag: str) -> int:
    return vocab.names.index(tag)


def _tag_matrix(bundle):
    """The tag pseudo-listener rows of the bundle's training rows (in ``tag_names`` order)."""
    return bundle.train_matrix[int(bundle.meta["n_user_rows"]) :]


def _without_names(bundle):
    """The same factors, rows and bridge, without ``bridge_tag_names`` (a bundle from before them)."""
    return replace(bundle, bridge={k: v for k, v in bundle.bridge.items() if k != "tag_names"}, path=None)


def test_the_shipped_bundle_names_its_tag_rows(bundle):
    names = bundle.tag_names
    assert names is not None and names.dtype.kind == "U" and names.ndim == 1
    assert len(names) == bundle.meta["n_tag_rows"] == _tag_matrix(bundle).shape[0] == 1856
    assert {"soundtrack", "classical", "death metal", "video game music", "electronic"} <= set(names)
    # Row r is the tag it says: "death metal" rows are on death-metal bands.
    row = _tag_matrix(bundle)[list(names).index("death metal")]
    tagged = {str(bundle.names[i]) for i in row.indices}
    assert {"Death", "Cannibal Corpse", "Obituary"} <= tagged and "Madonna" not in tagged


def test_phrases_fold_case_accents_and_punctuation():
    assert fold_phrase("Death-Metal!") == "death metal"
    assert fold_phrase("  ÉLECTRONIQUE ") == "electronique"
    assert fold_phrase("Drum & Bass") == "drum and bass"
    assert fold_phrase("wesnoth-1.16-music") == "wesnoth 1 16 music"
    assert fold_phrase(None) == fold_phrase("") == ""


def test_genre_tags_match_the_vocabulary_and_simple_variants(vocab):
    soundtrack = _row(vocab, "soundtrack")
    for text in ("Soundtrack", "soundtrack", "SOUNDTRACKS", " Soundtrack ", "OST", "Original Score"):
        assert vocab.genre_tags(text) == {soundtrack}, text
    assert vocab.genre_tags("Death Metal") == vocab.genre_tags("death-metal") == {_row(vocab, "death metal")}
    assert vocab.genre_tags("Electronic") == {_row(vocab, "electronic")}
    assert (
        vocab.genre_tags("Game") == vocab.genre_tags("Video Game Music") == {_row(vocab, "video game music")}
    )
    # "hip hop" and "hip-hop" are both Last.fm tags: the one on more artists stands for both.
    assert vocab.genre_tags("Hip Hop") == vocab.genre_tags("HIP-HOP") == {_row(vocab, "hip-hop")}
    assert vocab.genre_tags("Rock/Pop; Jazz") == {
        _row(vocab, "rock"),
        _row(vocab, "pop"),
        _row(vocab, "jazz"),
    }
    # English genre names put the genre last: the qualifier goes, the genre stays.
    assert vocab.genre_tags("Romantic Classical") == {_row(vocab, "classical")}
    assert vocab.genre_tags("Melodic Death Metal") == {_row(vocab, "melodic death metal")}
    # Stop words and numbers name nothing, even where Last.fm has them as tags ("music").
    assert "music" in vocab.names
    for text in ("Music", "Other", "CD 2", "", None, "zzzz unknown genre"):
        assert vocab.genre_tags(text) == set(), text
    assert vocab.genre_tags("80s") == {_row(vocab, "80s")}  # a decade is not a number


def test_folders_and_album_titles(vocab):
    game = _row(vocab, "video game music")
    wesnoth = "/home/u/Music/usr/share/games/wesnoth/1.16/data/core/music/breaking_the_chains.ogg"
    assert vocab.folder_tags(wesnoth) == {game}  # "games"; not "music", "1.16", "core" or "data"
    assert vocab.folder_tags("/srv/wesnoth-1.16-music/a.ogg") == set()
    assert vocab.folder_tags("/srv/Soundtracks/Howard/a.ogg") == {_row(vocab, "soundtrack")}
    assert vocab.folder_tags("/srv/Death Metal/x/a.ogg") == {_row(vocab, "death metal")}
    assert vocab.folder_tags("/srv/.hidden-soundtrack/Soundtrack.ogg") == set()  # hidden, and a file name
    # A folder is matched whole: the last words of an album folder are no genre (as a genre tag they are).
    assert vocab.folder_tags("/srv/Muldjord/Tales of Ancient Metal/a.ogg") == set()
    assert vocab.genre_tags("Tales of Ancient Metal") == {_row(vocab, "metal")}
    assert vocab.album_tags("The Battle for Wesnoth OST") == {_row(vocab, "soundtrack")}
    assert vocab.album_tags("Ghost Stories") == vocab.album_tags("Mutilated Mime") == set()
    # The file's own genre tag and album title come first; folders only when they name nothing.
    death = _row(vocab, "death metal")
    assert vocab.track_tags("Death Metal", "Chaos God", "/usr/share/games/songs/a.ogg") == {death}
    assert vocab.track_tags(None, "Chaos God", "/usr/share/games/songs/a.ogg") == {game}
    assert vocab.track_tags("Game", "Wesnoth OST", "/x/a.ogg") == {game, _row(vocab, "soundtrack")}


def test_a_bundle_without_tag_names_matches_nothing(bundle):
    old = _without_names(bundle)
    assert len(vocabulary_of(old)) == 0 and vocabulary_of(old).genre_tags("Soundtrack") == set()
    profile = np.full(50, 0.1)
    from recommender.factors.genre import ArtistGenres

    genres = {
        "a": ArtistGenres(tracks=1, tag_tracks={_row(vocabulary_of(bundle), "soundtrack"): 1}, covered=1)
    }
    assert np.array_equal(
        place_artists(old, ["a"], [profile], genres)["a"], place_artists(old, ["a"], [profile])["a"]
    )
    assert not np.array_equal(
        place_artists(bundle, ["a"], [profile], genres)["a"], place_artists(old, ["a"], [profile])["a"]
    )


def test_tag_positions_sit_among_the_tags_artists(vocab, bundle):
    positions = vocab.positions
    assert positions.shape == (len(vocab.names), bundle.k) and np.isfinite(positions).all()
    assert np.array_equal(positions[7], vocab.position(7))
    # Each position is a weighted mean of unit vectors: at most 1 long, and longer for a genre whose
    # artists agree ("death metal") than for a catch-all ("seen live").
    lengths = np.linalg.norm(positions, axis=1)
    assert lengths.max() <= 1 + 1e-9
    assert lengths[_row(vocab, "death metal")] > lengths[_row(vocab, "seen live")] + 0.2
    y = bundle.normalised_factors
    for tag, expected in (
        ("soundtrack", "Hans Zimmer"),
        ("death metal", "Death"),
        ("classical", "Johann Sebastian Bach"),
    ):
        p = positions[_row(vocab, tag)]
        item = int(np.flatnonzero(bundle.names == expected)[0])
        # Closer to the position than nine in ten catalogue artists.
        cos = y @ (p / np.linalg.norm(p))
        assert (cos < cos[item]).mean() > 0.9, tag


def _wesnoth_as_soundtrack(analyzed_corpus_db: Path, tmp_path: Path) -> Path:
    """The analysed corpus with one Wesnoth composer's files tagged genre "Soundtrack" (and an album
    title without a soundtrack marker, so that only the genre tag speaks)."""
    with Store.open(analyzed_corpus_db) as source:
        source.checkpoint()
    target = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, target)
    with Store.open(target) as store:
        with store.transaction() as conn:
            n = conn.execute(
                "UPDATE tracks SET genre = 'Soundtrack', album = 'Wesnoth' WHERE artist = ?", (WESNOTH,)
            ).rowcount
        assert n >= 5
    return target


def _soundtrack_artists(bundle, n: int = 10) -> set[str]:
    """The catalogue artists that Last.fm users tagged "soundtrack" most often."""
    row = _tag_matrix(bundle)[_row(vocabulary_of(bundle), "soundtrack")]
    order = np.argsort(-row.data, kind="stable")[:n]
    return {str(bundle.names[row.indices[i]]) for i in order}


def test_a_soundtrack_composer_is_placed_near_soundtrack_artists(bundle, analyzed_corpus_db, tmp_path):
    db = _wesnoth_as_soundtrack(analyzed_corpus_db, tmp_path)
    soundtrack = _soundtrack_artists(bundle)
    assert {"Hans Zimmer", "John Williams", "Clint Mansell"} <= soundtrack
    audio_only = _without_names(bundle)  # same factors and bridge, no tag names
    with Store.open(db) as store:
        placed = SimilarIndex.from_store(store, bundle).artist(WESNOTH, 20, 0)
        by_sound = SimilarIndex.from_store(store, audio_only).artist(WESNOTH, 20, 0)
    assert placed.known == by_sound.known == "audio"
    near = {a.name for a in placed.artists}
    assert near & soundtrack, near
    assert not {a.name for a in by_sound.artists} & soundtrack


def test_the_radio_similar_and_taste_place_an_artist_alike(bundle, analyzed_corpus_db, tmp_path):
    """One placement: the radio's loader, ``similar`` and the taste's bridge give the same vectors."""
    db = _wesnoth_as_soundtrack(analyzed_corpus_db, tmp_path)
    with Store.open(db) as store:
        parts = LibraryParts()
        load_library(store, bundle=bundle, taste=False, parts=parts)
        index = SimilarIndex.from_store(store, bundle)
        taste = audio_factors_for_unmatched(store, bundle, match_library(store, bundle))
        by_sound = audio_factors_for_unmatched(store, _without_names(bundle), match_library(store, bundle))
    assert set(parts.predicted_artists) == set(index.predicted) == set(taste) > {WESNOTH, "Muldjord"}
    for artist, vector in taste.items():
        assert np.array_equal(parts.predicted_artists[artist], vector), artist
        assert np.array_equal(index.predicted[artist], vector), artist
    # The genre words moved the artists whose files name a tag, and kept the bridge's length.
    moved = taste[WESNOTH]
    assert not np.allclose(moved, by_sound[WESNOTH])
    assert np.isclose(np.linalg.norm(moved), np.linalg.norm(by_sound[WESNOTH]), rtol=1e-5)
    untagged = [a for a in taste if "hyperrogue" in a.lower()]  # "Unknown artist (hyperrogue)"
    assert untagged
    for artist in untagged:  # its files name nothing: the bridge's placement stands
        assert np.array_equal(taste[artist], by_sound[artist]), artist


def _damaged(tmp_path: Path, **change) -> Path:
    path = tmp_path / "bundle.npz"
    from recommender.factors.bundle_file import default_bundle_path

    with np.load(default_bundle_path(), allow_pickle=False) as z:
        arrays = {name: z[name] for name in z.files}
    arrays.update(change)
    np.savez(path, **arrays)
    return path


def _meta(**change) -> np.ndarray:
    import json

    from recommender.factors.bundle_file import default_bundle_path

    with np.load(default_bundle_path(), allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
    return np.array(json.dumps({**meta, **change}))


def test_tag_names_must_fit_the_rows_at_pretraining(bundle):
    from recommender.training.pretrain import tag_names_for

    with pytest.raises(ValueError, match="1 tag names for 1856 tag rows"):
        tag_names_for(bundle, ["only one"])
    assert np.array_equal(tag_names_for(bundle, list(bundle.tag_names)), bundle.tag_names)


def test_tag_names_load_without_pickle_and_damage_is_refused(bundle, tmp_path):
    from recommender.factors.bundle_file import default_bundle_path

    with np.load(default_bundle_path(), allow_pickle=False) as z:
        assert z["bridge_tag_names"].dtype.kind == "U" and "bridge_tag_factors" not in z.files
    names = bundle.tag_names
    with pytest.raises(BundleError, match="bridge_tag_names has 1855 names for 1856 tag rows"):
        read_bundle(_damaged(tmp_path, bridge_tag_names=names[:-1]))
    with pytest.raises(BundleError, match="bridge_tag_names must be a 1-D text array"):
        read_bundle(_damaged(tmp_path, bridge_tag_names=np.arange(len(names))))
    with pytest.raises(BundleError, match="bridge_tag_names must be a 1-D text array"):
        read_bundle(_damaged(tmp_path, bridge_tag_names=np.stack([names, names])))
    with pytest.raises(BundleError, match="not a readable factor bundle"):  # an object array: pickle
        read_bundle(_damaged(tmp_path, bridge_tag_names=np.array(list(names), dtype=object)))
    with pytest.raises(BundleError, match="bridge_tag_names has 1856 names for 0 tag rows"):  # no rows
        read_bundle(
            _damaged(
                tmp_path,
                train_indptr=np.zeros(1, np.int32),
                train_indices=np.zeros(0, np.int32),
                train_counts=np.zeros(0, np.float32),
                meta=_meta(n_user_rows=0),
            )
        )
    # Zero counts in a tag row (allowed: counts are >= 0) weigh nothing; no NaN reaches a placement.
    indptr = bundle.train_indptr
    first = int(bundle.meta["n_user_rows"])
    counts = bundle.train_counts.copy()
    counts[indptr[first] :] = 0.0
    zeroed = read_bundle(_damaged(tmp_path, train_counts=counts))
    assert np.isfinite(vocabulary_of(zeroed).positions).all()
    # A bundle from before the tag names still loads (and places by sound alone).
    path = tmp_path / "old.npz"
    with np.load(default_bundle_path(), allow_pickle=False) as z:
        np.savez(path, **{name: z[name] for name in z.files if name != "bridge_tag_names"})
    old = read_bundle(path)
    assert old.tag_names is None and len(vocabulary_of(old)) == 0
