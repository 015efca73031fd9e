"""Gap between consecutive album tracks at 1x, with and without preloading the next track.

Why not libvlc's ``afile`` WAV output: it reopens (truncates) the WAV at every new track and writes only
the samples it is given, never the wall-clock time in between, so a late start leaves no silence in the
file: it cannot show a gap (checked: a deliberate 500 ms pause between two tracks left a WAV of the
second track alone). Instead each of the player's two libvlc media players gets libvlc's audio callbacks
(``amem``) behaving like a sound card: a callback blocks until its samples' presentation time (minus a
device buffer), and "drain" blocks until the last sample has played, so libvlc's end-of-track event
fires when the audio really ends, as with PulseAudio. Every sample is recorded with its presentation
time on libvlc's clock, which both media players share, so the two tracks lie on one timeline.

Figures per pair of consecutive tracks (``VlcPlayer`` does the hand-over exactly as in the app):
- ``gap``: first sample of track B minus end of the last sample of track A (negative = overlap);
- ``audible``: first non-silent sample of B minus last non-silent sample of A, minus the silence the
  files themselves have there (decoded with soundfile): the silence the player added.

Run: ``.venv/bin/python benchmarks/gap.py [--pairs 5] [--tail 2.0]`` (about 5 s per pair and mode).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RATE = 44100
SILENCE = 32 / 32768  # -60 dBFS
DEVICE_BUFFER_S = 0.05


def album_tracks(corpus: Path) -> list[Path]:
    """Wesnoth soundtrack files in album order (disc, track number)."""
    import mutagen

    rows = []
    for path in sorted(corpus.glob("wesnoth-1.16-music/**/*.ogg")):
        tags = mutagen.File(path).tags or {}
        try:
            disc = int((tags.get("discnumber") or ["0"])[0].split("/")[0])
            number = int((tags.get("tracknumber") or [""])[0].split("/")[0])
        except ValueError:
            continue
        rows.append((disc, number, path))
    return [path for _, _, path in sorted(rows)]


def file_silence(path: Path) -> tuple[float, float]:
    """(leading, trailing) digital silence of a file in seconds."""
    import soundfile as sf

    data, rate = sf.read(path, dtype="float32", always_2d=True)
    loud = np.flatnonzero(np.abs(data).max(axis=1) > SILENCE)
    if loud.size == 0:
        return len(data) / rate, len(data) / rate
    return loud[0] / rate, (len(data) - 1 - loud[-1]) / rate


class Sink:
    """libvlc audio callbacks acting as a real-time sound card; records (deck, pts, n, first, last loud)."""

    def __init__(self) -> None:
        import vlc

        self.vlc = vlc
        self.blocks: list[tuple[int, int, int, int, int]] = []
        self.drained: list[tuple[int, int]] = []  # (deck, libvlc clock when a drain finished)
        self.lock = threading.Lock()
        self._keep = []

    def attach(self, mp) -> None:
        vlc = self.vlc
        deck = len(self._keep)
        last_end = [0]

        @vlc.CallbackDecorators.AudioPlayCb
        def play(_data, samples, count, pts):
            buf = np.ctypeslib.as_array(ctypes.cast(samples, ctypes.POINTER(ctypes.c_int16)), (count * 2,))
            loud = np.flatnonzero(np.abs(buf.reshape(-1, 2)).max(axis=1) > SILENCE * 32768)
            first, last = (int(loud[0]), int(loud[-1])) if loud.size else (-1, -1)
            with self.lock:
                self.blocks.append((deck, pts, count, first, last, vlc.libvlc_clock()))
            last_end[0] = pts + count * 1_000_000 // RATE
            wait = pts - int(DEVICE_BUFFER_S * 1e6) - vlc.libvlc_clock()
            if wait > 0:
                time.sleep(wait / 1e6)

        @vlc.CallbackDecorators.AudioDrainCb
        def drain(_data):
            wait = last_end[0] - vlc.libvlc_clock()
            if wait > 0:
                time.sleep(wait / 1e6)
            with self.lock:
                self.drained.append((deck, vlc.libvlc_clock()))

        noop_pts = vlc.CallbackDecorators.AudioPauseCb(lambda _d, _p: None)
        resume = vlc.CallbackDecorators.AudioResumeCb(lambda _d, _p: None)
        flush = vlc.CallbackDecorators.AudioFlushCb(lambda _d, _p: None)
        self._keep.append((play, drain, noop_pts, resume, flush))
        mp.audio_set_callbacks(play, noop_pts, resume, flush, drain, None)
        mp.audio_set_format("S16N", RATE, 2)


def measure_pair(a: Path, b: Path, gapless: bool, tail: float) -> dict[str, float] | None:
    from player.playback import PlaybackSettings, PlayItem, PositionChanged, TrackStarted
    from player.playback.vlc import VlcPlayer

    sink = Sink()
    player = VlcPlayer(PlaybackSettings(gapless=gapless, replaygain="off"), configure=sink.attach)
    started, running = threading.Event(), threading.Event()
    player.events.subscribe(lambda e: isinstance(e, TrackStarted) and e.item.key == "B" and started.set())
    player.events.subscribe(lambda e: isinstance(e, PositionChanged) and running.set())
    import soundfile as sf

    length_a = sf.info(a).duration
    player.load(PlayItem(str(a), key="A"))
    player.set_next(PlayItem(str(b), key="B"))
    running.wait(10)  # seek once the input runs
    player.seek(max(length_a - tail, 0.0))
    if not started.wait(tail + 30):
        raise RuntimeError("track B never started")
    lead_b, _ = file_silence(b)
    _, trail_a = file_silence(a)
    time.sleep(lead_b + 1.0)  # until B is audible
    player.shutdown()

    with sink.lock:
        blocks = list(sink.blocks)
        drained = list(sink.drained)
    # A's blocks: on A's deck (that of the first block) until A drained.
    deck_a = blocks[0][0]
    ends = [t for d, t in drained if d == deck_a]
    if not ends or blocks[0][5] >= ends[0]:
        return None  # libvlc's Ogg seek overshot the end of A: no audio of A at all
    a_blocks = [x for x in blocks if x[0] == deck_a and x[5] <= ends[0]]
    # B plays on the other deck with preloading (possibly starting before A drained), else on A's deck.
    b_blocks = [x for x in blocks if x[0] != deck_a] if gapless else [x for x in blocks if x[5] > ends[0]]
    end_a = a_blocks[-1][1] + a_blocks[-1][2] * 1e6 / RATE
    start_b = b_blocks[0][1]
    last_loud_a = max(p + last * 1e6 / RATE for _, p, n, f, last, _ in a_blocks if last >= 0)
    first_loud_b = min(p + f * 1e6 / RATE for _, p, n, f, last, _ in b_blocks if f >= 0)
    audible = (first_loud_b - last_loud_a) / 1e3 - 1e3 * (trail_a + lead_b)
    return {"gap_ms": (start_b - end_a) / 1e3, "audible_ms": audible}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=5, help="consecutive track pairs per mode (default 5)")
    parser.add_argument("--tail", type=float, default=8.0, help="seconds of track A to play (default 8)")
    parser.add_argument(
        "--corpus", default=os.environ.get("ENCORE_CORPUS", Path.home() / ".cache/encore/corpus")
    )
    args = parser.parse_args()
    tracks = album_tracks(Path(args.corpus))
    pairs = list(zip(tracks, tracks[1:], strict=False))[: args.pairs]
    print(f"{len(pairs)} pairs of consecutive Wesnoth album tracks, 1x, real-time callback sink")
    results = {}
    for gapless in (False, True):
        label = "with preload" if gapless else "without preload"
        rows = []
        for a, b in pairs:
            for tail in (args.tail, 2.5 * args.tail, 6 * args.tail):
                # libvlc's own Ogg demuxer landed seeks seconds late (the player now opens Ogg files
                # with libavformat, which seeks precisely); should A still be silent, start earlier
                r = measure_pair(a, b, gapless, tail)
                if r is not None:
                    break
            else:
                print(f"  {label:16s} {a.stem} -> {b.stem}: no audio of the first track, skipped")
                continue
            rows.append(r)
            print(
                f"  {label:16s} {a.stem} -> {b.stem}: gap {r['gap_ms']:7.1f} ms, added audible {r['audible_ms']:7.1f} ms"
            )
        results[label] = rows
    print("summary (ms)             gap median   gap max   audible median   audible max")
    for label, rows in results.items():
        gaps = [r["gap_ms"] for r in rows]
        aud = [r["audible_ms"] for r in rows]
        print(
            f"  {label:22s} {statistics.median(gaps):10.1f} {max(gaps):9.1f} "
            f"{statistics.median(aud):16.1f} {max(aud):13.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
