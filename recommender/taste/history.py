"""Import listening history from elsewhere: read it (``player.history``), match it, store it.

Matching, the same way the library is matched (``recommender.factors.match.normalise_artist``: Unicode
and case folded, "The", "feat." and "&" handled; MusicBrainz ids first when the export has them):

- the artist to a **catalogue artist** of the factor bundle (its MBID, else its name key): what the taste
  folds in, for artists the library does not hold too;
- the listen to a **library track** by artist + title (folded, accents ignored), the closest length
  when several tracks share them and the export gives one: what the library shows as "plays elsewhere".

Each file is one import, written in one transaction: a file that fails half way (cut off, not a
history) leaves nothing behind. Listens already held (the natural key of ``player.history.formats``)
are counted as duplicates and not added again. The report says what was read, kept and left out, how
many artists, the share of listens whose artist the catalogue knows, the share matched to library
tracks and the artists most listened to that the catalogue does not know.

API: ``import_history(store, path, bundle=None, progress=None) -> dict`` (the report).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

BATCH = 5000
ARTIST_CACHE = 100_000  # artists (and their MBIDs) matched once per import, up to this many
TOP_UNMATCHED = 10


class _Library:
    """Library tracks by (artist key, loose title), for matching listens to files."""

    def __init__(self, store: Any) -> None:
        from player.store.tracks import track_columns
        from player.text import search_key as loose  # the one search key: no accents, no punctuation
        from recommender.factors.match import normalise_artist

        # artist key -> loose title -> tracks: a listen whose artist the library lacks (most of a long
        # history) costs one lookup, not a title folding too.
        self.by_artist: dict[str, dict[str, list[tuple[int, float | None]]]] = {}
        for track_id, artist, album_artist, title, duration in track_columns(
            store, ("id", "artist", "album_artist", "title", "duration"), order="id", include_missing=True
        ):  # a file gone missing is still the song listened to (its plays count, as the artist match's do)
            key = normalise_artist(artist or album_artist)
            if key and title:
                titles = self.by_artist.setdefault(key, {})
                titles.setdefault(loose(title), []).append((int(track_id), duration))
        self._loose = loose

    def find(
        self, artist_key: str | None, title: str | None, duration_s: float | None
    ) -> tuple[int, float | None] | None:
        if not artist_key or not title:
            return None
        titles = self.by_artist.get(artist_key)
        if not titles:
            return None
        found = titles.get(self._loose(title))
        if not found:
            return None
        if duration_s and len(found) > 1:
            return min(found, key=lambda t: abs((t[1] or 0.0) - duration_s))
        return found[0]


def import_history(
    store: Any,
    path: str | Path,
    bundle: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Import one history file (or zip) into ``store``; returns the report (see the module doc).
    ``bundle``: the factor bundle to match artists against (the shipped one by default; None when
    there is none: listens are still kept, matched to the library only)."""
    from player.history import formats
    from player.history.read import open_history
    from player.store import listens as listens_sql
    from recommender.factors.bundle_file import load_bundle
    from recommender.factors.match import normalise_artist

    parts = open_history(path)
    bundle = bundle if bundle is not None else load_bundle(or_none=True)
    key_index = bundle.key_index if bundle is not None else {}
    mbid_index = bundle.mbid_index if bundle is not None else {}
    item_ids = bundle.item_ids if bundle is not None else []
    library = _Library(store)
    total = sum(p.size for p in parts) or 1
    read = kept = matched_tracks = known_artists = 0
    left_out: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    artists: set[str] = set()
    unmatched: Counter[str] = Counter()
    artist_cache: dict[tuple[str, str | None], tuple[str | None, int | None]] = {}
    source = parts[0].source
    with store.transaction():
        import_id = listens_sql.create_import(store, source, str(path))
        batch: list[tuple] = []
        done_before = 0
        for part in parts:
            for entry in part.entries():
                if isinstance(entry, formats.Skip):
                    left_out[entry.kind] += 1
                    continue
                read += 1
                matched = artist_cache.get((entry.artist, entry.artist_mbid))
                if matched is None:
                    key = normalise_artist(entry.artist)
                    item = mbid_index.get(entry.artist_mbid or "") if entry.artist_mbid else None
                    if item is None and key:
                        item = key_index.get(key)
                    if len(artist_cache) < ARTIST_CACHE:
                        artist_cache[(entry.artist, entry.artist_mbid)] = (key, item)
                else:
                    key, item = matched
                duration = entry.duration_ms / 1000.0 if entry.duration_ms else None
                track = library.find(key, entry.title, duration or ((entry.ms_played or 0) / 1000.0 or None))
                if track is not None and duration is None:
                    duration = track[1]
                outcome = formats.outcome(entry, duration)
                outcomes[outcome] += 1
                artists.add(key or entry.artist)
                if item is not None:
                    known_artists += 1
                else:
                    unmatched[entry.artist] += 1
                if track is not None:
                    matched_tracks += 1
                batch.append(
                    (
                        import_id,
                        entry.source,
                        entry.listened_at,
                        entry.artist,
                        entry.title,
                        entry.album,
                        entry.artist_mbid,
                        entry.recording_mbid,
                        entry.release_mbid,
                        entry.ms_played,
                        outcome,
                        track[0] if track is not None else None,
                        str(item_ids[item]) if item is not None else None,
                        entry.natural_key,
                    )
                )
                if len(batch) >= BATCH:
                    kept += listens_sql.insert_listens(store, batch)
                    batch = []
                    if progress is not None:
                        progress(done_before + part.consumed, total)
            done_before += part.size
        kept += listens_sql.insert_listens(store, batch)
        report = {
            "source": source,
            "file": str(path),
            "parts": [p.name for p in parts],
            "listens_read": read,
            "listens_kept": kept,
            "duplicates": read - kept,
            "left_out": dict(left_out),
            "outcomes": dict(outcomes),
            "artists": len(artists),
            "catalogue_share": round(known_artists / read, 4) if read else 0.0,
            "library_share": round(matched_tracks / read, 4) if read else 0.0,
            "top_unmatched": [[a, n] for a, n in unmatched.most_common(TOP_UNMATCHED)],
        }
        if kept:
            listens_sql.finish_import(store, import_id, read, kept, report)
        else:
            listens_sql.drop_import(store, import_id)  # nothing new: no empty import to list or forget
            import_id = None
    if progress is not None:
        progress(total, total)
    report["import_id"] = import_id
    return report
