"""Every user-adjustable playback and listening-log setting, with its documented default, in one place.

The engine (output, gapless, crossfade, ReplayGain) and the listening log's thresholds (what counts as a
completion or a skip) live in one dataclass so the settings dialog, the CLI and the tests all read the same
numbers. Persisted as JSON in the ``state`` table; ``ENCORE_AUDIO_OUTPUT`` overrides the audio output (CI
and the CLI's ``--no-audio`` use libvlc's silent ``adummy`` output).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

from player.store import Store
from player.store.saved_settings import load_settings, save_settings

STATE_KEY = "settings.playback"
REPLAYGAIN_MODES = ("auto", "track", "album", "off")
MAX_CROSSFADE_S = 10.0


@dataclass
class PlaybackSettings:
    """Playback engine and listening-log settings.

    Listening-log classification (see ``player.outcomes.classify``), always on *seconds listened* — media
    time actually played, so seeking forward earns nothing — never on the position reached:

    - **completed**: listened ≥ ``completion_ratio`` × duration, or listened ≥ duration − ``completion_tail_s``
      (the last 10 s of a track are often fade-out or silence), however the play ended.
    - **skipped**: the user left the track for another one (next, previous, picking another track) or it
      ran out after a seek past most of it, with listened < max(``skip_max_s``, ``skip_max_ratio`` ×
      duration): rejected before hearing half of it (or its first 30 s for short tracks).
    - **stopped**: everything else that is not an error — playback stopped or the app quit or crashed, and
      a "next" *between* the skip and the completion thresholds (e.g. at 70 %). That last case is a
      deliberate neutral outcome: the listener heard most of the track and moved on, which is neither a
      rejection nor a full listen, so the recommender should not count it as a skip.
    - **error**: the file failed to open or decode.
    """

    #: libvlc audio output module ("pulse", "alsa", "adummy", "afile"...); None = libvlc's default.
    audio_output: str | None = None
    #: Device of that output (an id libvlc lists, e.g. a PulseAudio sink); None = the output's default.
    audio_device: str | None = None
    #: Start the next queued track in a second, preloaded media player the moment the current one ends.
    gapless: bool = True
    #: Seconds of crossfade between consecutive tracks (0 = none, at most 10); overrides gapless hand-over.
    crossfade_s: float = 0.0
    #: "auto" (album gain when an album plays in order, else track gain), "track", "album" or "off".
    replaygain: str = "auto"
    #: Added to every ReplayGain value (dB).
    replaygain_preamp_db: float = 0.0
    #: Gain for files without ReplayGain tags (dB): typical tagged music is turned down by ~6 dB.
    replaygain_fallback_db: float = -6.0
    #: User volume, 0..100 (percent; ReplayGain is applied on top).
    volume: int = 100
    #: How often position events are emitted while playing (seconds).
    position_interval_s: float = 0.5

    #: Listened share of the duration that makes a completion.
    completion_ratio: float = 0.9
    #: ... or listened up to this many seconds before the end.
    completion_tail_s: float = 10.0
    #: A "next" before max(skip_max_s, skip_max_ratio × duration) seconds listened is a skip.
    skip_max_s: float = 30.0
    skip_max_ratio: float = 0.5
    #: The open plays row is updated at least this often (seconds): what a crash can lose.
    checkpoint_interval_s: float = 5.0

    extra_vlc_args: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.crossfade_s = min(max(float(self.crossfade_s), 0.0), MAX_CROSSFADE_S)
        self.volume = min(max(int(self.volume), 0), 100)
        if self.replaygain not in REPLAYGAIN_MODES:
            raise ValueError(f"replaygain must be one of {REPLAYGAIN_MODES}, not {self.replaygain!r}")

    def with_env(self) -> PlaybackSettings:
        """A copy with environment overrides applied (``ENCORE_AUDIO_OUTPUT``)."""
        output = os.environ.get("ENCORE_AUDIO_OUTPUT")
        return dataclasses.replace(self, audio_output=output) if output else self

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def load(cls, store: Store) -> PlaybackSettings:
        """The saved settings (defaults where none are saved), with environment overrides."""
        return load_settings(store, STATE_KEY, cls).with_env()

    def save(self, store: Store) -> None:
        """Persist the settings; an ``ENCORE_AUDIO_OUTPUT`` override is for this process only, so the
        saved output stays what it was."""
        saved = self
        if os.environ.get("ENCORE_AUDIO_OUTPUT"):
            saved = dataclasses.replace(
                self, audio_output=load_settings(store, STATE_KEY, type(self)).audio_output
            )
        save_settings(store, STATE_KEY, saved)
