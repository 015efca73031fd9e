"""What a listen is: when a play becomes one, and what it tells ListenBrainz about the track.

A play *qualifies* once seconds listened ≥ min(half the track, 4 minutes) (``qualifies``). That is
ListenBrainz's own rule (Last.fm's scrobbling rule before it), so Encore's counts mean what every other
client's mean. It reads *seconds listened*, never the position reached, so seeking earns nothing; a track of
unknown length needs the 4 minutes. The listen is dated when the play started.

Sent per listen (``track_metadata``): artist, title and album as tagged, the duration, the track number and
the MusicBrainz ids the tags hold, and ``submission_client`` "Encore" with its version. Nothing else; a
track whose artist or title is not tagged is never sent (a name guessed from a file name is not put on a
public profile).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

#: The qualifying rule (see above): half the track or 4 minutes listened, whichever comes first.
QUALIFY_SHARE = 0.5
QUALIFY_MAX_S = 240.0
CLIENT_NAME = "Encore"
_MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def qualifying_seconds(duration: float | None) -> float:
    """Seconds to listen for a play to count as a listen: min(half the track, 4 minutes)."""
    if not duration or duration <= 0:
        return QUALIFY_MAX_S
    return min(QUALIFY_SHARE * duration, QUALIFY_MAX_S)


def qualifies(seconds_listened: float, duration: float | None) -> bool:
    """Whether a play of ``seconds_listened`` seconds of a ``duration``-second track is a listen."""
    return seconds_listened >= qualifying_seconds(duration) - 1e-6


@functools.cache
def client_version() -> str:
    """Encore's version as installed (``submission_client_version``)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("encore")
    except (ImportError, PackageNotFoundError):
        return "unknown"


def track_metadata(track: Mapping[str, Any] | None, duration: float | None = None) -> dict[str, Any] | None:
    """ListenBrainz's ``track_metadata`` for a tracks row; None for a track without a tagged artist and
    title (the server requires both, and a guess from the file name is not the user's to publish)."""
    if track is None or track.get("tags_from_path"):
        return None
    artist, title = _text(track.get("artist")), _text(track.get("title"))
    if not artist or not title:
        return None
    info: dict[str, Any] = {
        "media_player": CLIENT_NAME,
        "submission_client": CLIENT_NAME,
        "submission_client_version": client_version(),
    }
    seconds = duration or track.get("duration")
    if seconds and seconds > 0:
        info["duration_ms"] = int(round(float(seconds) * 1000))
    if track.get("track_number"):
        info["tracknumber"] = int(track["track_number"])
    for key, name in (("mb_track_id", "recording_mbid"), ("mb_album_id", "release_mbid")):
        mbid = _mbids(track.get(key))
        if mbid:
            info[name] = mbid[0]
    artist_mbids = _mbids(track.get("mb_artist_id"))
    if artist_mbids:
        info["artist_mbids"] = artist_mbids
    metadata: dict[str, Any] = {"artist_name": artist, "track_name": title}
    album = _text(track.get("album"))
    if album:
        metadata["release_name"] = album
    metadata["additional_info"] = info
    return metadata


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _mbids(value: Any) -> list[str]:
    """The MusicBrainz ids in a tag value (several artists are joined by "/", ";" or ","), valid ones only:
    one malformed id would make the server refuse the whole listen."""
    parts = re.split(r"[/;,\s]+", _text(value).lower())
    return [p for p in parts if _MBID.match(p)]
