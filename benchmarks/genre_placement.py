"""Placing artists the bundle does not know: audio tags alone (before) vs with genre words (after).

    .venv/bin/python benchmarks/genre_placement.py [--per-group 40] [--seed 1] [--reuse /tmp/gp.npz]

Protocol (honest: the placed artists' own tags never shape the space they are placed in):

1. Held-out artists: per genre group (soundtrack, classical, ambient, jazz, metal, ...), up to
   ``--per-group`` catalogue artists that have the group's tag among their 3 most applied Last.fm tags,
   ≥ 5 tag applications and ≥ 5 listeners (a factor vector worth comparing with); seeded, disjoint.
2. A bundle retrained with the shipped recipe on every listener, but with the held-out artists' tag
   applications removed from the tag pseudo-listener rows; the audio bridge refitted on it without
   the held-out artists' tag profiles. Their "true" factors now come from listening alone, and the tag
   positions are made without them.
3. Each held-out artist is then placed as an unknown library artist would be:
   - before: the audio bridge on its Last.fm tag profile mapped onto the 50 musicnn tags (what
     ``fit_bridge`` trains on, the stand-in for the audio model's tag probabilities);
   - genre words alone: the group's single word as a file's genre tag ("Soundtrack", "Death Metal"),
     or its 3 most applied Last.fm tags as genre tags (``TagVocabulary`` matching, as at run time);
   - after: ``recommender.factors.bridge.place_artists`` on the audio stand-in and those words;
   - replaced: the earlier placement (tag rows folded in like listeners, a quarter mixed in), on the
     same matched tags, to show why it was replaced.
4. Three figures per placed vector, against the artist's true vector:
   - recall@10 of its 10 nearest artists by raw factor cosine among the placed vector's 10 nearest;
   - recall@10 of its "Fans also like" list (``shipped_neighbours``: support-aware, at least 3
     listeners, what the app shows) among the placed vector's (``support_scores``, as ``similar``
     ranks a placed artist's neighbours);
   - the cosine between the placed and the true vector.

The held-out artists are split in two halves (alternate artists of each group): the weight is chosen on
the first (tuning) half by the mean "Fans also like" recall of the two genre-word scenarios, and every
figure in the tables is measured on the other (test) half. The raw-cosine recall is not the objective:
the raw 10 nearest of any vector are mostly one-listener artists (62% of the catalogue) whom no list
shows, so it measures noise around 0.05 for every placement; it is printed in the grid too.

Caveat: the "audio" stand-in is the artist's true Last.fm tag profile, cleaner than the audio model's
probabilities on real files, and exact for genres among the 50 tags (metal, jazz, electronic, ...): the
"before" row flatters the audio bridge there, and the tuned weight leans toward audio.
About 15-60 s on 2 cores (one ALS fit, the scoring); ``--reuse`` keeps the retrained bundle for reruns.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.factors.bridge import (  # noqa: E402
    GENRE_WEIGHT,
    genre_position,
    place_artists,
    tag_profile_matrix,
)
from recommender.factors.bundle_file import load_bundle, save_bundle  # noqa: E402
from recommender.factors.genre import ArtistGenres, TagVocabulary  # noqa: E402
from recommender.ranking import top_k  # noqa: E402
from recommender.similar.support import shipped_neighbours, support_scores  # noqa: E402
from recommender.training import data  # noqa: E402
from recommender.training.als import PretrainConfig, bundle_from, train_item_factors  # noqa: E402
from recommender.training.bridge_fit import fit_bridge  # noqa: E402
from recommender.training.pretrain import tag_names_for  # noqa: E402

FOLDER = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "lastfm-2k"
GROUPS = (
    ("soundtrack", "Soundtrack"),
    ("video game music", "Game"),
    ("classical", "Classical"),
    ("ambient", "Ambient"),
    ("jazz", "Jazz"),
    ("death metal", "Death Metal"),
    ("metal", "Metal"),
    ("electronic", "Electronic"),
    ("hip-hop", "Hip-Hop"),
    ("folk", "Folk"),
    ("country", "Country"),
    ("reggae", "Reggae"),
    ("punk", "Punk"),
)
"""(Last.fm tag that selects the group, the single genre word a file of that genre would carry)."""
K = 10
TOP_TAGS = 3


def pick_artists(
    inter: data.Interactions, tags: dict[str, dict[str, int]], per_group: int, seed: int
) -> list[tuple[int, str, str, list[str]]]:
    """(item, group tag, group word, top tags) of the held-out artists (see the module docstring)."""
    rng = np.random.default_rng(seed)
    listeners = np.asarray((inter.matrix > 0).sum(axis=0)).ravel()
    taken: set[int] = set()
    out = []
    for group, word in GROUPS:
        pool = []
        for item, aid in enumerate(inter.item_ids):
            counts = tags.get(str(aid), {})
            if item in taken or sum(counts.values()) < 5 or listeners[item] < 5:
                continue
            top = sorted(counts, key=lambda t: (-counts[t], t))[:TOP_TAGS]
            if group in (t.casefold() for t in top):
                pool.append((item, top))
        chosen = rng.permutation(len(pool))[:per_group]
        for j in sorted(chosen.tolist()):
            item, top = pool[j]
            taken.add(item)
            out.append((item, group, word, top))
    return out


def retrained_bundle(inter: data.Interactions, held: np.ndarray, config: PretrainConfig):
    """The shipped recipe with the held-out artists' tag applications left out of the tag rows (the
    rows' names are recorded after the bridge is fitted, as ``encore pretrain`` does)."""
    side = data.load_tag_rows(FOLDER, inter.item_ids, min_artists=config.tag_min_artists)
    keep = np.ones(inter.n_items, dtype=np.float32)
    keep[held] = 0.0
    side = sp.csr_matrix(side @ sp.diags(keep))
    side.eliminate_zeros()
    side.data *= np.float32(config.tag_scale)
    rows = sp.vstack([inter.matrix, side]).tocsr()
    factors = train_item_factors(rows, config, progress=print)
    return bundle_from(inter, factors, config, {}, side)


def genres_of(vocab: TagVocabulary, words: list[str]) -> ArtistGenres:
    """What a file whose genre tags are ``words`` would tell (one track, every word a genre tag)."""
    found: set[int] = set()
    for w in words:
        found |= vocab.genre_tags(w)
    return ArtistGenres(tracks=1, tag_tracks=dict.fromkeys(sorted(found), 1), covered=int(bool(found)))


REPLACED_WEIGHT = 0.25


def replaced_placement(bundle, audio: list[np.ndarray], genres: dict[str, ArtistGenres], names: list[str]):
    """The placement this one replaced, for comparison: each tag row folded in like a listener (its
    position), the unit mean of the matched tags' positions mixed into the audio prediction by 0.25
    at the prediction's length (the same matched tags as ``place_artists`` gets)."""
    first = int(bundle.meta["n_user_rows"])
    conf = bundle.train_matrix[first:].astype(np.float64)
    conf.data = bundle.confidence(conf.data)
    folded = bundle.foldin.solve_many(conf.tocsr())
    folded = folded / np.maximum(np.linalg.norm(folded, axis=1, keepdims=True), 1e-12)
    out = []
    for a, name in zip(audio, names, strict=True):
        rows = sorted(genres[name].tag_tracks)
        mean = folded[rows].sum(axis=0) if rows else None
        if mean is None or not np.linalg.norm(mean):
            out.append(a)
            continue
        a = np.asarray(a, dtype=np.float64)
        unit = mean / np.linalg.norm(mean)
        out.append((1.0 - REPLACED_WEIGHT) * a + REPLACED_WEIGHT * unit * np.linalg.norm(a))
    return out


class Scorer:
    """The three figures of a placed vector against an artist's true (retrained) factors."""

    def __init__(self, bundle, held: np.ndarray) -> None:
        self.bundle = bundle
        self.y = np.asarray(bundle.normalised_factors, dtype=np.float64)
        self.held = held
        self.true_cos = [self._top(self.y[i], i) for i in held]
        self.true_app = [set(shipped_neighbours(bundle, int(i), K).tolist()) for i in held]

    def _top(self, q: np.ndarray, item: int) -> set[int]:
        s = self.y @ q
        s[item] = -np.inf
        return set(np.argpartition(-s, K)[:K].tolist())

    def score(self, j: int, vector: np.ndarray | None) -> tuple[float, float, float]:
        """(recall@K of the true cosine top-K in the placed cosine top-K, recall@K of the true artist's
        "Fans also like" list in the placed vector's, cosine of placed and true vector)."""
        if vector is None or not np.any(vector):
            return 0.0, 0.0, 0.0
        item = int(self.held[j])
        q = np.asarray(vector, dtype=np.float64) / np.linalg.norm(vector)
        raw = len(self._top(q, item) & self.true_cos[j]) / K
        app_scores = support_scores(self.bundle, q.astype(np.float32), None)
        app_scores[item] = -np.inf
        app = len(set(top_k(app_scores, (), K).tolist()) & self.true_app[j]) / K
        return raw, app, float(q @ self.y[item])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-group", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", type=Path, help="keep the retrained bundle here (read it if present)")
    args = parser.parse_args()

    inter = data.load_lastfm2k(FOLDER)
    tags = data.load_artist_tags(FOLDER)
    picked = pick_artists(inter, tags, args.per_group, args.seed)
    held = np.array([p[0] for p in picked], dtype=np.int64)
    held_ids = sorted(str(inter.item_ids[i]) for i in held)
    if args.reuse is not None and args.reuse.exists():
        bundle = load_bundle(args.reuse)
        if bundle.meta.get("held_out_artists") != held_ids:
            raise SystemExit(f"{args.reuse} was retrained for other held-out artists; remove it")
    else:
        config = replace(PretrainConfig(), use_gpu=False)
        bundle = retrained_bundle(inter, held, config)
        kept_tags = {a: t for a, t in tags.items() if a not in set(held_ids)}
        bundle.bridge, _report = fit_bridge(bundle, kept_tags, config.seed)
        names = data.load_tag_row_names(FOLDER, inter.item_ids, min_artists=config.tag_min_artists)
        bundle.bridge["tag_names"] = tag_names_for(bundle, names)
        bundle.meta["held_out_artists"] = held_ids
        if args.reuse is not None:
            save_bundle(bundle, args.reuse)
    vocab = TagVocabulary(bundle)
    scorer = Scorer(bundle, held)
    names = [f"held-out {j}" for j in range(len(picked))]
    profiles = list(tag_profile_matrix(inter.item_ids[held], tags))
    scenarios = {
        "one genre word": {n: genres_of(vocab, [p[2]]) for n, p in zip(names, picked, strict=True)},
        f"top {TOP_TAGS} tags": {n: genres_of(vocab, p[3]) for n, p in zip(names, picked, strict=True)},
    }

    def placed(genres: dict[str, ArtistGenres] | None, weight: float) -> list[np.ndarray]:
        out = place_artists(bundle, names, profiles, genres, genre_weight=weight)
        return [out[n] for n in names]

    tune = np.flatnonzero(np.arange(len(picked)) % 2 == 0)  # even positions of each group's list
    test = np.flatnonzero(np.arange(len(picked)) % 2 == 1)
    print(f"\n{len(picked)} held-out artists: {len(tune)} to tune the weight, {len(test)} to test it")
    print("The test half (the artists every table below is about), by group:")
    for group, _word in GROUPS:
        who = [str(inter.artists[picked[j][0]]) for j in test if picked[j][1] == group]
        if who:
            print(f"  {group} ({len(who)}): {', '.join(who)}")
    print(f'\nTuning half, recall@{K} of the "Fans also like" list (one genre word / top {TOP_TAGS} tags):')
    grid = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    best, best_score = 0.0, -1.0
    for weight in grid:
        figures, raw = [], []
        for genres in scenarios.values():
            vectors = placed(genres, weight)
            scored = [scorer.score(j, vectors[j]) for j in tune]
            figures.append(float(np.mean([f[1] for f in scored])))
            raw.append(float(np.mean([f[0] for f in scored])))
        mean = float(np.mean(figures))
        print(
            f"  weight {weight:.1f}: {figures[0]:.3f} / {figures[1]:.3f}  (mean {mean:.3f});"
            f"  raw-cosine recall {raw[0]:.3f} / {raw[1]:.3f}"
        )
        if mean > best_score + 1e-9:
            best, best_score = weight, mean
    print(f"  best on the tuning half: {best:.1f}; shipped GENRE_WEIGHT: {GENRE_WEIGHT}")

    mean_vec = np.asarray(bundle.item_factors, dtype=np.float64).mean(axis=0)
    word_only = [genre_position(scenarios["one genre word"][n], vocab) for n in names]
    top_only = [genre_position(scenarios[f"top {TOP_TAGS} tags"][n], vocab) for n in names]
    rows = {
        "mean factor vector (baseline)": [mean_vec] * len(names),
        "before: audio bridge (50 musicnn tags)": placed(None, 0.0),
        "genre words alone: one genre word": word_only,
        f"genre words alone: top {TOP_TAGS} tags": top_only,
        "replaced: audio + one word, fold-in positions (0.25)": replaced_placement(
            bundle, placed(None, 0.0), scenarios["one genre word"], names
        ),
        f"replaced: audio + top {TOP_TAGS} tags, fold-in positions (0.25)": replaced_placement(
            bundle, placed(None, 0.0), scenarios[f"top {TOP_TAGS} tags"], names
        ),
        f"after: audio + one genre word (weight {GENRE_WEIGHT})": placed(
            scenarios["one genre word"], GENRE_WEIGHT
        ),
        f"after: audio + top {TOP_TAGS} tags (weight {GENRE_WEIGHT})": placed(
            scenarios[f"top {TOP_TAGS} tags"], GENRE_WEIGHT
        ),
    }
    scores = {
        label: [scorer.score(j, vectors[j]) for j in range(len(names))] for label, vectors in rows.items()
    }
    groups = [g for g, _w in GROUPS if any(picked[j][1] == g for j in test)]
    members = {g: [j for j in test if picked[j][1] == g] for g in groups}
    members["all"] = list(test)
    titles = (
        f"recall@{K}: the true {K} nearest artists by factor cosine among the placed vector's {K} nearest",
        f"recall@{K}: the true artist's \"Fans also like\" {K} (support-aware, as shown) among the placed one's",
        "mean cosine of the placed and the true factor vector",
    )
    for metric, title in enumerate(titles):
        print(f"\nTest half, {title}")
        header = ["placement"] + [f"{g} ({len(members[g])})" for g in members]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for label in rows:
            cells = [f"{np.mean([scores[label][j][metric] for j in members[g]]):.3f}" for g in members]
            print("| " + " | ".join([label, *cells]) + " |")
    unmatched = sum(1 for j in test if not scenarios["one genre word"][names[j]].tag_tracks)
    print(f"\n(genre words that matched no tag of the vocabulary: {unmatched} of {len(test)})")


if __name__ == "__main__":
    main()
