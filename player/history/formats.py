"""Each export format's entries as ``Listen`` records, and the outcome of each listen.

Outcomes, the one place they are decided (with why):

- **ListenBrainz and Last.fm**: every entry is a scrobble, and a scrobble is only sent after half the
  track or 4 minutes was heard (both services' rules), so each one is a completion.
- **Spotify** (extended streaming history) logs every stream, skips included, which is exactly what
  Encore's own log holds. In order: ``skipped: true`` is a skip (Spotify's own verdict); ``reason_end``
  ``trackdone`` is a completion (the track played to its end); otherwise the time played is classified by
  the same rules as Encore's own plays (``player.outcomes.classify`` with ``PlaybackSettings``: listened
  to the completion threshold of the track's length when the length is known is a completion; leaving
  with ``fwdbtn``/``backbtn``/``clickrow`` before the skip threshold is a skip; anything else, such as
  ``endplay`` or ``logout`` after a while, is "stopped"; with no length known, 4 minutes heard is a
  completion, the scrobbling rule). The older short export (``StreamingHistory*.json``:
  ``endTime``, ``msPlayed``) has no reason: the time played decides alone.

Left out and counted: podcast episodes, audiobooks and videos (not music taste), entries without an
artist (Spotify's ``null`` metadata for removed tracks), and entries without a time.

The natural key of a listen (what makes a second import add nothing) is the source, the time in whole
seconds, and the folded artist and title: the same listen in an overlapping later export has all four.
"""

from __future__ import annotations

import calendar
import datetime
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from player.text import cap_tag, fold

SOURCES = ("listenbrainz", "spotify", "lastfm")
#: Each source as the user knows it (reasons, ``encore stats``, the app's history dialogs).
SOURCE_NAMES = {"spotify": "Spotify", "listenbrainz": "ListenBrainz", "lastfm": "Last.fm"}
LEFT_OUT = ("podcast", "audiobook", "video", "no_artist", "no_time")
SPOTIFY_LEFT = {"fwdbtn": "next", "backbtn": "previous", "clickrow": "next", "trackdone": "eos"}
# A stream of a track whose length nobody knows (not in the export, not in the library) is a completion
# after 4 minutes: the scrobbling rule the other sources' entries already passed.
SCROBBLE_S = 240.0


@dataclass(frozen=True)
class Listen:
    """One listen from elsewhere: when (epoch seconds), what, how it ended."""

    source: str
    listened_at: float
    artist: str
    title: str | None
    album: str | None = None
    artist_mbid: str | None = None
    recording_mbid: str | None = None
    release_mbid: str | None = None
    ms_played: int | None = None
    duration_ms: int | None = None  # the track's length when the export says it
    reason_end: str | None = None  # Spotify only
    skipped: bool | None = None  # Spotify only
    outcome: str = "completed"

    @property
    def natural_key(self) -> str:
        return f"{self.source}|{int(self.listened_at)}|{fold(self.artist)}|{fold(self.title)}"


class Skip(Exception):
    """An entry left out on purpose; ``kind`` is one of ``LEFT_OUT``."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return cap_tag(text) if text else None


def _mbid(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text and len(text) == 36 else None


def _iso_time(text: Any) -> float:
    """ "2021-03-01T12:34:56Z" (Spotify extended) or "2021-03-01 12:34" (short export, UTC)."""
    if not isinstance(text, str) or not text.strip():
        raise Skip("no_time")
    fast = _fast_time(text)
    if fast is not None:
        return fast
    value = text.strip().replace("T", " ").rstrip("Z")
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return float(calendar.timegm(time.strptime(value, pattern)))
        except ValueError:
            continue
    raise Skip("no_time")


_DAYS: dict[str, float] = {}  # "YYYY-MM-DD" -> epoch seconds of its midnight UTC (a few thousand days)


def _fast_time(text: str) -> float | None:
    """The usual "YYYY-MM-DDTHH:MM:SSZ" without ``time.strptime`` (a quarter of a Spotify import's time
    went there); None for anything else, which the patterns then decide."""
    if len(text) != 20 or text[10] != "T" or text[19] != "Z" or text[13] != ":" or text[16] != ":":
        return None
    clock = text[11:13] + text[14:16] + text[17:19]
    if not (clock.isascii() and clock.isdigit()):
        return None
    hour, minute, second = int(clock[0:2]), int(clock[2:4]), int(clock[4:6])
    if hour > 23 or minute > 59 or second > 59:
        return None
    day = _DAYS.get(text[:10])
    if day is None:
        ymd = text[0:4] + text[5:7] + text[8:10]
        if text[4] != "-" or text[7] != "-" or not (ymd.isascii() and ymd.isdigit()):
            return None
        try:
            date = datetime.date(int(ymd[0:4]), int(ymd[4:6]), int(ymd[6:8]))
        except ValueError:
            return None
        day = float(calendar.timegm(date.timetuple()))
        if len(_DAYS) < 100_000:
            _DAYS[text[:10]] = day
    return day + hour * 3600 + minute * 60 + second


def listenbrainz(entry: Mapping[str, Any]) -> Listen:
    """One ListenBrainz listen (``listened_at``, ``track_metadata`` with ``additional_info``)."""
    meta = entry.get("track_metadata") or {}
    info = meta.get("additional_info") or {}
    mapping = meta.get("mbid_mapping") or {}
    artist = _text(meta.get("artist_name"))
    if artist is None:
        raise Skip("no_artist")
    if str(info.get("media_player_type") or info.get("music_service_name") or "").lower() == "podcast":
        raise Skip("podcast")
    at = entry.get("listened_at")
    if not isinstance(at, int | float) or isinstance(at, bool) or at <= 0:
        raise Skip("no_time")
    artist_mbids = info.get("artist_mbids") or mapping.get("artist_mbids") or []
    duration = info.get("duration_ms") or (info.get("duration") and int(float(info["duration"]) * 1000))
    return Listen(
        "listenbrainz",
        float(at),
        artist,
        _text(meta.get("track_name")),
        _text(meta.get("release_name")),
        _mbid(artist_mbids[0]) if isinstance(artist_mbids, list) and artist_mbids else None,
        _mbid(info.get("recording_mbid") or mapping.get("recording_mbid")),
        _mbid(info.get("release_mbid") or mapping.get("release_mbid")),
        duration_ms=int(duration) if isinstance(duration, int | float) and duration > 0 else None,
    )


def spotify_extended(entry: Mapping[str, Any]) -> Listen:
    """One stream of Spotify's extended streaming history (``Streaming_History_Audio_*.json``)."""
    if entry.get("episode_name") or entry.get("spotify_episode_uri") or entry.get("episode_show_name"):
        raise Skip("podcast")
    if entry.get("audiobook_title") or entry.get("audiobook_uri"):
        raise Skip("audiobook")
    if str(entry.get("spotify_track_uri") or "").startswith("spotify:episode:"):
        raise Skip("podcast")
    artist = _text(entry.get("master_metadata_album_artist_name"))
    if artist is None:
        raise Skip("no_artist")
    ms = entry.get("ms_played")
    skipped = entry.get("skipped")
    return Listen(
        "spotify",
        _iso_time(entry.get("ts")),
        artist,
        _text(entry.get("master_metadata_track_name")),
        _text(entry.get("master_metadata_album_album_name")),
        ms_played=int(ms) if isinstance(ms, int | float) and ms >= 0 else None,
        reason_end=_text(entry.get("reason_end")),
        skipped=bool(skipped) if isinstance(skipped, bool) else None,
    )


def spotify_short(entry: Mapping[str, Any]) -> Listen:
    """One stream of Spotify's short account-data export (``StreamingHistory*.json``)."""
    if entry.get("episodeName") or entry.get("podcastName"):
        raise Skip("podcast")
    artist = _text(entry.get("artistName"))
    if artist is None or artist == "Unknown Artist":
        raise Skip("no_artist")
    ms = entry.get("msPlayed")
    return Listen(
        "spotify",
        _iso_time(entry.get("endTime")),
        artist,
        _text(entry.get("trackName")),
        ms_played=int(ms) if isinstance(ms, int | float) and ms >= 0 else None,
    )


def lastfm_row(row: Mapping[str, Any]) -> Listen:
    """One scrobble of a Last.fm CSV export (artist, album, track and a Unix time or a date)."""
    artist = _text(row.get("artist"))
    if artist is None:
        raise Skip("no_artist")
    return Listen(
        "lastfm",
        _csv_time(row),
        artist,
        _text(row.get("track")),
        _text(row.get("album")),
        artist_mbid=_mbid(row.get("artist_mbid")),
        recording_mbid=_mbid(row.get("track_mbid")),
        release_mbid=_mbid(row.get("album_mbid")),
    )


def _csv_time(row: Mapping[str, Any]) -> float:
    uts = _text(row.get("uts"))
    if uts:
        try:
            value = float(uts)
        except ValueError:
            value = 0.0
        if value > 0:
            return value
    date = _text(row.get("date"))
    if not date:
        raise Skip("no_time")
    for pattern in (
        "%d %b %Y %H:%M",
        "%d %b %Y, %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%d %H:%M",
    ):
        try:
            return float(calendar.timegm(time.strptime(date, pattern)))
        except ValueError:
            continue
    raise Skip("no_time")


def outcome(listen: Listen, duration_s: float | None, settings: Any = None) -> str:
    """The outcome of ``listen`` (see the module doc); ``duration_s``: the track's length when known
    (the export's, else the matched library track's)."""
    if listen.source != "spotify":
        return "completed"
    if listen.skipped:
        return "skipped"
    if listen.reason_end == "trackdone":
        return "completed"
    from player.outcomes import classify
    from player.playback.settings import PlaybackSettings

    listened = (listen.ms_played or 0) / 1000.0
    if not duration_s and listened >= SCROBBLE_S:  # unknown (or stored as 0): the scrobbling rule
        return "completed"
    reason = SPOTIFY_LEFT.get(listen.reason_end or "", "stopped")
    if listen.reason_end is None:  # the short export: no reason; a short stream is a skip
        reason = "next"
    result = classify(listened, duration_s, reason, settings or PlaybackSettings())
    return result if result in ("completed", "skipped") else "stopped"
