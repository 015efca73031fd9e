"""How a play ended, in the listening log's words: completed, skipped, stopped, replaced or error.

The rules the recommender learns from, in one place: the thresholds are ``PlaybackSettings`` fields
(documented there) and ``classify`` applies them to *seconds listened*, which seeking does not inflate.
The listening log (``player.listening``) and imported histories (``player.history``) both use them.
"""

from __future__ import annotations

from player.playback.settings import PlaybackSettings

#: Ways a play can end that mean the listener moved away from it (candidates for a skip).
LEFT_FOR_ANOTHER = ("next", "previous", "eos")
#: The listener put something else in the queue (a mix, a playlist, a radio, a file from the command
#: line) while this track played: the track was not judged, so unless it was already listened to the
#: end it is logged "replaced", neither a skip nor a completion, and nothing learns from it.
REPLACED = "replaced"


def completion_threshold(duration: float, settings: PlaybackSettings) -> float:
    """Seconds to listen for a completion: ``completion_ratio`` of the track, or up to the last
    ``completion_tail_s`` seconds, whichever comes first; the tail rule never lowers the bar below
    ``skip_max_ratio`` of the track (so a 5-s track is not "completed" after 0 s)."""
    tail = max(duration - settings.completion_tail_s, settings.skip_max_ratio * duration)
    return min(settings.completion_ratio * duration, tail)


def skip_threshold(duration: float | None, settings: PlaybackSettings) -> float:
    """Leaving a track before this many seconds listened is a skip."""
    if not duration or duration <= 0:
        return settings.skip_max_s
    return max(settings.skip_max_s, settings.skip_max_ratio * duration)


def classify(listened: float, duration: float | None, reason: str, settings: PlaybackSettings) -> str:
    """The outcome of a play that ended with ``reason`` (see ``PlaybackSettings`` for the rules).

    ``reason`` is a ``TrackEnded`` reason, or "crash" for a play recovered after the process died.
    """
    if reason == "error":
        return "error"
    # listened > 0: nothing heard is never a completion, whatever a start at (or past) the end claims.
    finished = bool(duration and duration > 0 and listened >= completion_threshold(duration, settings) - 1e-6)
    if listened > 0 and finished:
        return "completed"
    if reason == REPLACED:
        return REPLACED
    if reason in LEFT_FOR_ANOTHER and listened < skip_threshold(duration, settings):
        return "skipped"
    return "stopped"
