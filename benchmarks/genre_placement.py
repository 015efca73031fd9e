"""How well artists the listening data does not know are placed: by sound alone, and by sound plus one
genre word (``recommender.factors.genre``). Prints neighbour recall@10 on held-out catalogue artists.

    .venv/bin/python benchmarks/genre_placement.py ../shared/data/lastfm-2k [--bundle FILE]

Protocol: catalogue artists with at least 20 listeners whose Last.fm tags include one of GENRES are
treated as unknown. "Sound" is what the audio bridge predicts from their Last.fm tag profile mapped to
the 50 MSD tags (the stand-in the bridge was fitted with), with the artist left out of the bridge's
nearest-neighbour part (its ridge part saw them, so the baseline is if anything flattered). "Sound + genre word" moves that prediction toward the catalogue's
position of their most-applied Last.fm tag (the genre word a file would carry), recomputed with the
artist's own entry removed from that tag's row (no leakage). Recall@10: the share of the artist's true
10 nearest catalogue artists (cosine of its real factors) among the 10 nearest of the placed vector.
A second figure: the share of the placed vector's 10 nearest artists that carry the genre among their top
3 tags (the "right corner of the catalogue"). Artists are split in two by a seeded draw: TAG_WEIGHT is
chosen on the first half as the largest weight whose neighbour recall stays within 0.02 of sound alone
(a genre word must not cost the specific neighbours), and the headline is the second half's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GENRES = (
    "soundtrack",
    "classical",
    "ambient",
    "jazz",
    "metal",
    "electronic",
    "death metal",
    "folk",
    "hip-hop",
)
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _top_tags(counts: dict[str, int] | None, n: int = 3) -> set[str]:
    if not counts:
        return set()
    return {t.strip().lower() for t in sorted(counts, key=counts.get, reverse=True)[:n]}


def main() -> int:
    from recommender.factors.bridge import predict_artist_factors, tag_profile_matrix
    from recommender.factors.bundle import load_bundle
    from recommender.factors.genre import TagVocabulary
    from recommender.training.data import load_artist_tags

    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--bundle")
    args = ap.parse_args()
    bundle = load_bundle(args.bundle)
    vocab = TagVocabulary(bundle)
    if not vocab:
        print("this bundle has no tag positions (scripts/add_tag_positions.py adds them)", file=sys.stderr)
        return 2
    tags = load_artist_tags(args.folder)
    y = np.asarray(bundle.item_factors, dtype=np.float64)
    yn = y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
    pop = np.asarray(bundle.popularity)
    candidates = pop >= 3
    train = bundle.train_matrix.tocsr()
    first = int(bundle.meta.get("n_user_rows", bundle.meta.get("n_users", 0)))
    picked = []
    for i, item_id in enumerate(bundle.item_ids):
        t = tags.get(str(item_id))
        if pop[i] < 20 or not t:
            continue
        top = max(t, key=t.get).strip().lower()
        if any(g == top or g in top.split() for g in GENRES) and top in vocab.index:
            picked.append((i, top))
    rng = np.random.default_rng(0)
    order = rng.permutation(len(picked))
    halves = [[picked[j] for j in order[: len(order) // 2]], [picked[j] for j in order[len(order) // 2 :]]]
    profiles = tag_profile_matrix(bundle.item_ids, tags)
    foldin = bundle.foldin

    def true_top(i: int) -> set[int]:
        s = yn @ yn[i]
        s[~candidates] = -np.inf
        s[i] = -np.inf
        return set(np.argsort(-s)[:10].tolist())

    def tag_vector(i: int, word: str) -> np.ndarray:
        row = train[first + vocab.index[word]]
        keep = row.indices != i  # the artist's own entry left out
        items, counts = row.indices[keep], row.data[keep]
        v = foldin.solve(items, bundle.confidence(counts), np.ones(len(items)))
        return v / max(float(np.linalg.norm(v)), 1e-12)

    from types import SimpleNamespace

    bridge_items = np.asarray(bundle.bridge["items"], dtype=np.int64)

    def sound_of(i: int) -> np.ndarray:
        keep = bridge_items != i  # leave the artist out of the bridge's neighbours
        loo = {k: v for k, v in bundle.bridge.items()}
        for name in ("items", "profiles", "item_weights"):
            loo[name] = np.asarray(bundle.bridge[name])[keep]
        proxy = SimpleNamespace(bridge=loo, item_factors=bundle.item_factors)
        return predict_artist_factors(profiles[i : i + 1], proxy)[0].astype(np.float64)

    sounds: dict[int, np.ndarray] = {}

    tagged = {
        w: {i for i, item in enumerate(bundle.item_ids) if w in _top_tags(tags.get(str(item)))}
        for _, w in picked
    }

    def placed_top(i: int, word: str, weight: float) -> set[int]:
        """The 10 catalogue artists nearest artist ``i`` placed by sound moved ``weight`` toward ``word``."""
        if i not in sounds:
            sounds[i] = sound_of(i)
        sound = sounds[i]
        v = (1 - weight) * sound + weight * tag_vector(i, word) * float(np.linalg.norm(sound))
        s = yn @ (v / max(float(np.linalg.norm(v)), 1e-12))
        s[~candidates] = -np.inf
        s[i] = -np.inf
        return set(np.argsort(-s)[:10].tolist())

    def genre_share(half: list[tuple[int, str]], weight: float) -> float:
        """Share of the placed vector's 10 nearest artists that carry the genre among their top 3 tags."""
        return float(np.mean([len(placed_top(i, w, weight) & tagged[w]) / 10 for i, w in half]))

    def recall(half: list[tuple[int, str]], weight: float) -> tuple[float, float, float]:
        values = np.asarray([len(placed_top(i, w, weight) & true_top(i)) / 10 for i, w in half])
        boot = values[rng.integers(0, len(values), (1000, len(values)))].mean(axis=1)
        return float(values.mean()), float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))

    print(f"{len(picked)} held-out catalogue artists (>= 20 listeners, top tag among {', '.join(GENRES)})")
    print("tuning half, by TAG_WEIGHT: neighbour recall@10 / share of the 10 nearest in the same genre")
    scores = {}
    for w in WEIGHTS:
        scores[w] = recall(halves[0], w)[0]
        print(f"  {w:.2f}: {scores[w]:.3f} / {genre_share(halves[0], w):.3f}")
    best = max(w for w in WEIGHTS if scores[w] >= scores[0.0] - 0.02)
    before = recall(halves[1], 0.0)
    after = recall(halves[1], best)
    print(f"report half ({len(halves[1])} artists), neighbour recall@10 mean [95% bootstrap] / same genre:")
    print(
        f"  sound alone:                  {before[0]:.3f} [{before[1]:.3f}, {before[2]:.3f}]"
        f" / {genre_share(halves[1], 0.0):.3f}"
    )
    print(
        f"  sound + genre word (w={best:.2f}): {after[0]:.3f} [{after[1]:.3f}, {after[2]:.3f}]"
        f" / {genre_share(halves[1], best):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
