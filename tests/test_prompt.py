"""The station language (issue 24): the grammar's every term, weight, exclusion and error position, and
stations from prompts on the real analysed corpus (through the CLI the user runs)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from main import main
from player.store import Store
from player.store.analysis import load_analysis_matrix, load_descriptors
from player.store.smart import tag_vocabulary
from player.store.tracks import get_track
from recommender.prompt.grammar import PromptError, parse_prompt
from recommender.prompt.resolve import resolve_prompt
from recommender.prompt.station import prompt_station
from recommender.radio.load import load_library

FIELDS = ("year", "tempo", "genre", "plays", "added", "ambient", "female_vocalists")


# --- grammar -------------------------------------------------------------------------------------------


def test_every_kind_of_term_is_read_with_its_value_weight_and_place():
    text = (
        "like:(Muse - Hysteria):2 artist:(Björk) -artist:(Muse) tag:(trip hop) sounds:(calm piano):0.5 "
        "-tag:metal year:1990-1999 tempo:<110 genre:(contains rock) female_vocalists:>0.3 new unplayed"
    )
    p = parse_prompt(text, FIELDS)
    got = [(t.kind, t.value, t.weight, t.negated) for t in p.terms]
    assert got == [
        ("like", "Muse - Hysteria", 2.0, False),
        ("artist", "Björk", 1.0, False),
        ("artist", "Muse", 1.0, True),
        ("tag", "trip hop", 1.0, False),
        ("sounds", "calm piano", 0.5, False),
        ("tag", "metal", 1.0, True),
        ("year", "1990-1999", 1.0, False),
        ("tempo", "<110", 1.0, False),
        ("genre", "contains rock", 1.0, False),
        ("female_vocalists", ">0.3", 1.0, False),
        ("modifier", "new", 1.0, False),
        ("modifier", "unplayed", 1.0, False),
    ]
    assert p.terms[0].text(text) == "like:(Muse - Hysteria):2"
    assert p.modifiers == ["new", "unplayed"]
    nested = parse_prompt("like:(Song (Live) - Artist)")
    assert nested.terms[0].value == "Song (Live) - Artist"


def test_a_path_with_waypoints_parses_and_does_not_mix_with_seeds():
    p = parse_prompt("from:(A - One) via:(C - Three) to:(B - Two) -artist:(X)")
    assert [(t.kind, t.value) for t in p.of("from", "via", "to")] == [
        ("from", "A - One"),
        ("via", "C - Three"),
        ("to", "B - Two"),
    ]
    with pytest.raises(PromptError) as err:
        parse_prompt("from:(A) like:(B) to:(C)")
    assert err.value.start == len("from:(A) ") and "do not mix" in err.value.message
    with pytest.raises(PromptError, match="one from"):
        parse_prompt("from:(A) via:(B)")


@pytest.mark.parametrize(
    ("text", "start", "length", "words"),
    [
        ("artist:(Björk", 7, 1, "never closed"),
        ("tag:(x) aritst:(Muse)", 8, 7, "did you mean artist"),
        ("artist:(x):20", 11, 2, "between 0 and 10"),
        ("year:1990:2", 9, 2, "only after a seed term"),
        ("-year:1990", 0, 1, "excludes only"),
        ("calm", 0, 4, "unknown word"),
        ("artist:(x)tag:(y)", 10, 1, "space between terms"),
        ("artist:()", 0, 9, "needs a value"),
        ("   ", 0, 1, "empty"),
        ("%", 0, 1, "unexpected"),
        ("sounds:(calm) -", 14, 1, "right before the term"),
    ],
)
def test_errors_say_what_and_where(text, start, length, words):
    with pytest.raises(PromptError) as err:
        parse_prompt(text, FIELDS)
    e = err.value
    assert (e.start, e.length) == (start, length) and words in e.message
    shown = e.show().split("\n")
    assert shown[0] == text and shown[1] == " " * start + "^" * min(length, max(1, len(text) - start))


def test_bounds_on_length_and_terms():
    with pytest.raises(PromptError, match="too long"):
        parse_prompt("artist:(x) " * 300)
    with pytest.raises(PromptError, match="at most 40 terms"):
        parse_prompt(" ".join(f"artist:(a{i})" for i in range(41)))


# --- on the real corpus ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(analyzed_corpus_db, tmp_path_factory):
    target = tmp_path_factory.mktemp("prompt") / "encore.db"
    shutil.copyfile(analyzed_corpus_db, target)
    return target


def _ambient(store) -> dict[int, float]:
    ids, _e, tags = load_analysis_matrix(store)
    j = list(tag_vocabulary()).index("ambient")
    return dict(zip(ids.tolist(), tags[:, j].tolist(), strict=True))


def test_ambient_without_wesnoth_plays_no_wesnoth_and_more_ambient_than_the_library(db, capsys):
    """The issue's own check, through the CLI: no Wesnoth file, and the picks' mean ambient tag above
    the library's."""
    prompt = "sounds:(ambient) -artist:(Wesnoth)"
    argv = [
        "radio",
        "--prompt",
        prompt,
        "--n",
        "30",
        "--json",
        "--explain",
        "--db",
        str(db),
        "--random-seed",
        "0",
    ]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["prompt"] == prompt and len(out["explain"]) == 3 and "Wesnoth Project" in out["explain"][1]
    assert out["explain"][2].startswith("kept to the ")
    paths = [r["path"] for r in out["tracks"]]
    assert len(paths) == 30 and not [p for p in paths if "wesnoth" in p.lower()]
    with Store.open(db) as store:
        ambient = _ambient(store)
        ids = [store.conn.execute("SELECT id FROM tracks WHERE path = ?", (p,)).fetchone()[0] for p in paths]
    picked = [ambient[t] for t in ids if t in ambient]
    assert np.mean(picked) > np.mean(list(ambient.values()))


def test_filters_hold_for_every_pick_and_seeds_weigh(db):
    with Store.open(db) as store:
        library = load_library(store)
        made = prompt_station(store, "artist:(Muldjord) tempo:<130 -tag:(metal)", library=library, rng=1)
        desc = load_descriptors(store, [int(t) for t in library.track_ids])
        for track_id, _why in made.items(10):
            tempo = desc.get(track_id, {}).get("tempo")
            assert tempo is not None and tempo < 130
        resolved = made.resolved
        assert resolved.seeds and all(
            (get_track(store, t)["artist"] or "") == "Muldjord" for t in resolved.seeds
        )
        # A weight moves the start toward its term: Muldjord weighted 3 against NeonCorridor.
        light = resolve_prompt("artist:(Muldjord) artist:(NeonCorridor)", store, library)
        heavy = resolve_prompt("artist:(Muldjord):3 artist:(NeonCorridor)", store, library)

        def share(r):
            return sum(w for t, w in r.seeds.items() if get_track(store, t)["artist"] == "Muldjord") / sum(
                r.seeds.values()
            )

        assert share(heavy) > share(light) + 0.2


def test_a_term_that_matches_nothing_is_an_error_at_its_place(db, capsys):
    with Store.open(db) as store:
        library = load_library(store)
        with pytest.raises(PromptError) as err:
            resolve_prompt("sounds:(calm) artist:(Portishead)", store, library)
        assert err.value.start == len("sounds:(calm) ") and "no artist in your library" in err.value.message
        with pytest.raises(PromptError, match="nothing in your library is left"):
            resolve_prompt("artist:(Muldjord) year:1700-1701", store, library)
    assert main(["radio", "--prompt", "tag:(x) aritst:(Muse)", "--db", str(db)]) == 2
    err_text = capsys.readouterr().err
    assert (
        "tag:(x) aritst:(Muse)" in err_text
        and "        ^^^^^^^" in err_text
        and "did you mean artist" in err_text
    )


def test_a_path_goes_through_its_waypoint(db):
    with Store.open(db) as store:
        rows = store.conn.execute(
            "SELECT t.id, t.artist, t.title FROM tracks t JOIN analysis a ON a.track_id = t.id"
            " WHERE t.title IS NOT NULL AND t.artist IN ('Muldjord', 'NeonCorridor', 'Doug Kaufman')"
            " GROUP BY t.artist ORDER BY t.artist"
        ).fetchall()
        (a, *_), (c, *_), (b, *_) = rows  # Doug Kaufman, Muldjord, NeonCorridor
        made = prompt_station(store, f"from:({a}) via:({c}) to:({b})", n=12)
        ids = [t for t, _ in made.items(50)]
        assert ids[0] == a and ids[-1] == b and c in ids[1:-1]
        assert len(ids) == len(set(ids)) >= 10


def test_reasons_name_the_term_a_pick_answers(db):
    with Store.open(db) as store:
        made = prompt_station(store, "artist:(Muldjord):2 sounds:(calm)", rng=0)
        items = made.items(12)
        assert any(get_track(store, t)["artist"] == "Muldjord" for t, _w in items)
        for track_id, why in items:
            artist = get_track(store, track_id)["artist"]
            if artist == "Muldjord":
                assert why.startswith("Muldjord, as you asked")
        assert any(why.startswith("sounds like 'calm'") for _t, why in items)


def test_a_lastfm_tag_pulls_toward_the_artists_near_it_in_taste_space(db, capsys):
    """``tag:(soundtrack)`` is no analysis tag and no file's genre here: it is read through the bundle's
    Last.fm tags (the artists near the tag in factor space), so it starts from the Wesnoth composers and
    never from Muldjord's death metal; a misspelt tag is refused with the closest Last.fm tags."""
    with Store.open(db) as store:
        library = load_library(store)
        genres = {g for (g,) in store.conn.execute("SELECT DISTINCT genre FROM tracks") if g}
        assert not [g for g in genres if "soundtrack" in g.lower()] and "soundtrack" not in tag_vocabulary()
        resolved = resolve_prompt("tag:(soundtrack)", store, library)
        assert "Last.fm tag 'soundtrack'" in resolved.explain[0]
        seeds = [get_track(store, t) for t in resolved.seeds]
        assert len(seeds) >= 10 and all("/wesnoth" in t["path"] for t in seeds), [t["path"] for t in seeds]
        muldjord = [r for r in range(len(library)) if library.artist_names[library.artist[r]] == "Muldjord"]
        assert muldjord and resolved.excluded[muldjord].all()  # the station is held to the tag
        made = prompt_station(store, "tag:(soundtrack)", library=library, rng=0)
        picks = [get_track(store, t) for t, _why in made.items(10)]
        assert all(p["artist"] != "Muldjord" for p in picks)
        assert any("near the Last.fm tag 'soundtrack'" in why for _t, why in made.items(10))
    assert main(["radio", "--prompt", "tag:(soundtrak)", "--db", str(db)]) == 2
    assert "closest Last.fm tags: soundtrack" in capsys.readouterr().err
