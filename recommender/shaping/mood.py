"""Search by sound: a text query ("calm piano", "heavy guitar", "female vocal", "fast electronic") mapped
onto the analysis vocabulary (the 50 MSD tags plus tempo, loudness and energy), and library tracks
ranked by how strongly their audio carries those tags.

Why not a text-audio model (CLAP): Encore already stores 50 tag probabilities per track, and a small
synonym table covers the words people type; it runs in microseconds and needs no new model. Words are
matched longest phrase first: a tag name itself ("heavy metal", "female vocalists", "ambient"), then a
synonym ("calm" → chillout, chill, mellow, easy listening, ambient; and away from metal, punk...). Each
tag probability is z-scored over the library first, so a rare tag such as ambient (library mean ≈ 0.1)
counts as much as a common one such as rock.

API: ``MoodError``, ``SYNONYMS``, ``parse_mood(query) -> MoodQuery``, ``rank_by_mood(store, query, n,
min_score) -> list[MoodHit]``, ``MoodIndex`` (the arrays, reusable across queries: ``.rank``).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Descriptors that a query can ask for besides the tags (z-scored like them).
DESCRIPTOR_FEATURES = ("tempo", "loudness", "energy")

# word -> {feature: weight}; features are tag names (exact spelling of the vocabulary) or descriptors.
# Negative weights push away ("calm" is also "not metal").
SYNONYMS: dict[str, dict[str, float]] = {
    "calm": {
        "chillout": 1,
        "chill": 1,
        "Mellow": 1,
        "easy listening": 0.7,
        "ambient": 0.7,
        "metal": -0.5,
        "hard rock": -0.5,
        "punk": -0.5,
        "energy": -0.5,
    },
    "relaxing": {"chillout": 1, "chill": 1, "Mellow": 1, "ambient": 0.7, "energy": -0.5},
    "relaxed": {"chillout": 1, "chill": 1, "Mellow": 1, "ambient": 0.7},
    "peaceful": {"ambient": 1, "Mellow": 1, "beautiful": 0.7, "energy": -0.5},
    "quiet": {"Mellow": 1, "ambient": 0.7, "loudness": -1},
    "soft": {"Mellow": 1, "acoustic": 0.7, "loudness": -0.7},
    "gentle": {"Mellow": 1, "acoustic": 0.7, "beautiful": 0.7},
    "mellow": {"Mellow": 1},
    "chill": {"chill": 1, "chillout": 1},
    "atmospheric": {"ambient": 1, "experimental": 0.5, "chillout": 0.5},
    "dreamy": {"ambient": 1, "beautiful": 0.7, "chillout": 0.7},
    "piano": {"instrumental": 0.7, "beautiful": 0.7, "Mellow": 0.7, "acoustic": 0.5, "guitar": -0.5},
    "classical": {"instrumental": 1, "beautiful": 0.7, "ambient": 0.3, "rock": -0.5},
    "orchestral": {"instrumental": 1, "beautiful": 0.7, "ambient": 0.3},
    "epic": {"instrumental": 0.7, "beautiful": 0.5, "energy": 0.5},
    "heavy": {"metal": 1, "heavy metal": 1, "hard rock": 0.7, "loudness": 0.5},
    "loud": {"loudness": 1, "energy": 0.7, "metal": 0.3},
    "aggressive": {"metal": 1, "heavy metal": 0.7, "punk": 0.7, "energy": 0.7},
    "angry": {"metal": 1, "punk": 0.7, "energy": 0.5},
    "guitar": {"guitar": 1, "rock": 0.3},
    "guitars": {"guitar": 1, "rock": 0.3},
    "acoustic": {"acoustic": 1, "folk": 0.3},
    "female": {"female vocalists": 1, "female vocalist": 1},
    "woman": {"female vocalists": 1, "female vocalist": 1},
    "male": {"male vocalists": 1},
    "vocal": {"female vocalists": 0.3, "male vocalists": 0.3, "instrumental": -0.7},
    "vocals": {"female vocalists": 0.3, "male vocalists": 0.3, "instrumental": -0.7},
    "singing": {"female vocalists": 0.3, "male vocalists": 0.3, "instrumental": -0.7},
    "fast": {"tempo": 1, "energy": 0.7, "dance": 0.3},
    "quick": {"tempo": 1, "energy": 0.5},
    "slow": {"tempo": -1, "Mellow": 0.5, "energy": -0.3},
    "upbeat": {"happy": 0.7, "dance": 0.7, "tempo": 0.5, "energy": 0.5},
    "energetic": {"energy": 1, "tempo": 0.5, "party": 0.5},
    "electronic": {"electronic": 1, "electronica": 0.7, "electro": 0.7},
    "synth": {"electronic": 1, "electro": 0.7, "80s": 0.3},
    "techno": {"electronic": 1, "electro": 0.7, "dance": 0.7, "House": 0.5},
    "edm": {"electronic": 1, "dance": 1, "House": 0.7},
    "dance": {"dance": 1},
    "danceable": {"dance": 1, "party": 0.5},
    "sad": {"sad": 1, "Mellow": 0.5, "happy": -0.5},
    "melancholic": {"sad": 1, "Mellow": 0.7, "beautiful": 0.3},
    "dark": {"sad": 0.5, "experimental": 0.5, "metal": 0.3, "happy": -0.7},
    "happy": {"happy": 1, "catchy": 0.3, "sad": -0.5},
    "cheerful": {"happy": 1, "catchy": 0.5, "sad": -0.5},
    "romantic": {"sexy": 0.7, "beautiful": 0.7, "soul": 0.3},
    "beautiful": {"beautiful": 1},
    "instrumental": {"instrumental": 1},
    "hiphop": {"Hip-Hop": 1},
    "rap": {"Hip-Hop": 1},
    "r&b": {"rnb": 1},
    "progressive": {"Progressive rock": 1},
    "prog": {"Progressive rock": 1},
    "country": {"country": 1},
    "jazzy": {"jazz": 1},
    "bluesy": {"blues": 1},
    "funky": {"funk": 1},
    "party": {"party": 1, "dance": 0.5},
    "weird": {"experimental": 1},
    "strange": {"experimental": 1},
    "old": {"oldies": 1, "60s": 0.5, "70s": 0.5},
}

# Phrases of more than one word that are synonyms (tag names with spaces are found by themselves).
PHRASES: dict[str, dict[str, float]] = {
    "female vocal": {"female vocalists": 1, "female vocalist": 1},
    "female voice": {"female vocalists": 1, "female vocalist": 1},
    "male vocal": {"male vocalists": 1},
    "male voice": {"male vocalists": 1},
    "hip hop": {"Hip-Hop": 1},
    "drum and bass": {"electronic": 1, "dance": 0.5, "tempo": 0.7},
    "easy": {"easy listening": 1},
}


class MoodError(ValueError):
    """A query with no word the vocabulary knows."""


@dataclass
class MoodQuery:
    text: str
    weights: dict[str, float]  # feature (tag or descriptor) -> weight
    matched: list[tuple[str, list[str]]] = field(default_factory=list)  # (words, features)
    unknown: list[str] = field(default_factory=list)

    def suggestions(self) -> dict[str, str]:
        """Unknown word -> the closest known word, where one is close."""
        table = list(_lookup())
        out = {}
        for word in self.unknown:
            close = difflib.get_close_matches(word, table, n=1, cutoff=0.75)
            if close:
                out[word] = close[0]
        return out

    def describe(self) -> str:
        return ", ".join(f"{w} → {'/'.join(f for f in feats)}" for w, feats in self.matched)


@dataclass(frozen=True)
class MoodHit:
    track_id: int
    score: float
    why: str


def _vocabulary() -> tuple[str, ...]:
    from player.store.smart import tag_vocabulary

    return tag_vocabulary()


def _lookup() -> dict[str, dict[str, float]]:
    """Every phrase the parser knows (lower case) -> feature weights."""
    table: dict[str, dict[str, float]] = {}
    for tag in _vocabulary():
        key = tag.casefold()
        table[key] = {tag: 1.0}
        if "-" in key:
            table[key.replace("-", " ")] = {tag: 1.0}
    for word in DESCRIPTOR_FEATURES:
        table.setdefault(word, {word: 1.0})
    table.update({k: dict(v) for k, v in SYNONYMS.items()})
    table.update({k: dict(v) for k, v in PHRASES.items()})
    return table


def parse_mood(query: str) -> MoodQuery:
    """Map a query onto feature weights; raises ``MoodError`` when no word is known."""
    table = _lookup()
    words = [w for w in "".join(c if c.isalnum() or c in "&-'" else " " for c in query.casefold()).split()]
    words = [w.strip("'") for w in words if w.strip("'")]
    if not words:
        raise MoodError("the query is empty: describe a sound, e.g. 'calm piano' or 'heavy guitar'")
    weights: dict[str, float] = {}
    matched: list[tuple[str, list[str]]] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            phrase = " ".join(words[i : i + size])
            if len(words) - i >= size and phrase in table:
                feats = table[phrase]
                for f, w in feats.items():
                    weights[f] = weights.get(f, 0.0) + w
                matched.append((phrase, [f for f, w in feats.items() if w > 0]))
                i += size
                break
        else:
            if words[i].endswith("s") and words[i][:-1] in table:  # plural
                feats = table[words[i][:-1]]
                for f, w in feats.items():
                    weights[f] = weights.get(f, 0.0) + w
                matched.append((words[i], [f for f, w in feats.items() if w > 0]))
            elif words[i] not in (
                "and",
                "with",
                "music",
                "songs",
                "song",
                "tracks",
                "track",
                "a",
                "the",
                "some",
            ):
                unknown.append(words[i])
            i += 1
    if not weights:
        close = difflib.get_close_matches(unknown[0], list(table), n=3, cutoff=0.6) if unknown else []
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        raise MoodError(
            f"no known sound in {query!r}{hint}: use words such as calm, heavy, piano, guitar, fast, "
            "female vocal, electronic, or any of the 50 tags (`encore mood --tags`)"
        )
    return MoodQuery(query, weights, matched, unknown)


class MoodIndex:
    """The library's analysed tracks as z-scored feature columns; ``rank`` answers a query in a few ms."""

    def __init__(self, track_ids: np.ndarray, tags: np.ndarray, descriptors: dict[str, np.ndarray]) -> None:
        self.track_ids = np.asarray(track_ids, dtype=np.int64)
        self.tags = np.asarray(tags, dtype=np.float32)
        self.tag_names = _vocabulary()
        self.columns: dict[str, np.ndarray] = {}
        self.raw: dict[str, np.ndarray] = {}
        if len(self.track_ids):
            for j, name in enumerate(self.tag_names[: self.tags.shape[1]]):
                self.raw[name] = self.tags[:, j]
        for name, values in descriptors.items():
            self.raw[name] = np.asarray(values, dtype=np.float64)
        for name, values in self.raw.items():
            v = np.asarray(values, dtype=np.float64)
            ok = np.isfinite(v)
            if ok.sum() < 2:
                self.columns[name] = np.zeros(len(v))
                continue
            mu, sd = float(v[ok].mean()), float(v[ok].std()) or 1.0
            self.columns[name] = np.where(ok, (v - mu) / sd, 0.0)

    @classmethod
    def from_store(cls, store: Any) -> MoodIndex:
        from player.store.analysis import load_analysis_matrix, load_descriptors

        ids, _emb, tags = load_analysis_matrix(store)
        desc = load_descriptors(store, ids.tolist()) if len(ids) else {}
        columns = {
            name: np.array([np.nan if desc[t][name] is None else desc[t][name] for t in ids.tolist()])
            for name in DESCRIPTOR_FEATURES
        }
        return cls(ids, tags, columns)

    def __len__(self) -> int:
        return len(self.track_ids)

    def scores(self, query: MoodQuery) -> np.ndarray:
        total = np.zeros(len(self.track_ids))
        norm = sum(abs(w) for w in query.weights.values()) or 1.0
        for name, w in query.weights.items():
            col = self.columns.get(name)
            if col is not None:
                total += w * col
        return total / norm

    def rank(
        self, query: MoodQuery, n: int = 20, min_score: float | None = None, exclude: Sequence[int] = ()
    ) -> list[MoodHit]:
        """The ``n`` best tracks (score: weighted mean z-score of the query's features), best first;
        only those scoring above ``min_score`` when given; ``exclude`` ids are left out."""
        if not len(self.track_ids):
            return []
        from recommender.ranking import top_k

        s = self.scores(query)
        rows = np.flatnonzero(np.isin(self.track_ids, np.asarray(list(exclude), dtype=np.int64)))
        order = top_k(s, rows, n)
        positive = [f for f, w in query.weights.items() if w > 0 and f in self.raw]
        hits = []
        for i in order.tolist():
            if not np.isfinite(s[i]) or (min_score is not None and s[i] < min_score):
                continue
            parts = sorted(positive, key=lambda f: -float(self.columns[f][i]))[:3]
            why = ", ".join(
                f"{f} {float(self.raw[f][i]):.2f}"
                if f in self.tag_names
                else f"{f} {float(self.raw[f][i]):.0f}"
                for f in parts
                if np.isfinite(self.raw[f][i])
            )
            hits.append(MoodHit(int(self.track_ids[i]), float(s[i]), why))
        return hits


def rank_by_mood(
    store: Any, query: str | MoodQuery, n: int = 20, min_score: float | None = None
) -> list[MoodHit]:
    """Library tracks that sound like the query, best first (banned tracks left out)."""
    from player.store.ratings import banned_track_ids

    parsed = parse_mood(query) if isinstance(query, str) else query
    return MoodIndex.from_store(store).rank(parsed, n, min_score, exclude=sorted(banned_track_ids(store)))
