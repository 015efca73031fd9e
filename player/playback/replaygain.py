"""ReplayGain: the gain (dB) to play a track at, from the ReplayGain columns of the ``tracks`` table.

Album gain keeps the loudness differences an album was mastered with, so it is used when an album plays
in order; track gain otherwise. Files without tags get ``replaygain_fallback_db``. The peak, when known,
caps the gain so the result does not clip.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from player.playback.settings import PlaybackSettings


def track_gain_db(track: Mapping[str, Any], settings: PlaybackSettings, *, album_in_order: bool) -> float:
    """Gain for ``track`` (a tracks row). ``album_in_order``: it plays as part of its album, in order."""
    mode = settings.replaygain
    if mode == "off":
        return 0.0
    use_album = mode == "album" or (mode == "auto" and album_in_order)
    order = ("album", "track") if use_album else ("track", "album")
    for kind in order:
        gain = track.get(f"rg_{kind}_gain")
        if gain is not None:
            gain = float(gain) + settings.replaygain_preamp_db
            peak = track.get(f"rg_{kind}_peak")
            if peak is not None and float(peak) > 0:  # a zero or negative peak tag is junk
                gain = min(gain, -20.0 * math.log10(float(peak)))  # keep peak × gain ≤ full scale
            return gain
    return settings.replaygain_fallback_db
