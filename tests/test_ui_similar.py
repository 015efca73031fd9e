"""The "Fans also like" panel for an artist the pretrained factors know, on real audio files.

Real corpus files are copied and re-tagged as well-known metal artists (so the shipped Last.fm factor
bundle matches them), scanned into a fresh library, and the panel is asked about Metallica: the nearest
artists must include ones from the library (clickable, radio on double-click) and discoveries (marked).
"""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from mutagen.oggvorbis import OggVorbis
from PySide6.QtCore import Qt

from player.library import scan
from player.store import Store
from player.store.tracks import get_track, iter_tracks
from ui.similar_panel import SimilarPanel
from ui.workers import TaskRunner

ARTISTS = ("Metallica", "Megadeth", "Slayer", "Iron Maiden", "Pantera", "Anthrax")
WAIT = 60_000


def _library(tmp_path, corpus_files) -> str:
    music = tmp_path / "music"
    sources = [f for f in corpus_files if "muldjord" in str(f)]
    for k, artist in enumerate(ARTISTS):
        folder = music / artist
        folder.mkdir(parents=True)
        for j in range(2):
            source = sources[(2 * k + j) % len(sources)]
            target = folder / f"{j + 1:02d} {artist} song {j + 1}.ogg"
            shutil.copy(source, target)
            tags = OggVorbis(target)
            tags.delete()
            tags["artist"] = artist
            tags["album"] = f"{artist} live"
            tags["title"] = f"{artist} song {j + 1}"
            tags.save()
    db = tmp_path / "metal.db"
    with Store.open(db) as store:
        summary = scan(store, [str(music)])
        assert summary.added == 2 * len(ARTISTS) and summary.errors == 0
    return str(db)


def test_fans_also_like_panel_for_a_matched_artist(qtbot, tmp_path, corpus_files):
    db = _library(tmp_path, corpus_files)
    panel = SimilarPanel(TaskRunner(), db)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.resultShown, timeout=WAIT) as shown:
        panel.show_artist("Metallica")
    result = shown.args[0]
    assert result["known"] == "bundle"
    names = [a["name"] for a in result["artists"]]
    in_library = [a for a in result["artists"] if a["in_library"]]
    discoveries = [a for a in result["artists"] if not a["in_library"]]
    assert in_library, names  # some of the library's thrash-metal peers are Metallica's nearest
    assert {a["name"] for a in in_library} <= set(ARTISTS) - {"Metallica"}
    assert discoveries and all(a["link"] for a in discoveries)
    assert panel.header.text() == "<b>Fans of Metallica also like</b>"
    assert "in your library" in panel.note.text() and "discoveries" in panel.note.text()

    # Each row is marked: discoveries say so; a click on an in-library artist shows their tracks, a
    # double-click starts a radio from one of their tracks.
    rows = [panel.artists.item(i) for i in range(panel.artists.count())]
    assert len(rows) == len(result["artists"])
    assert all(
        ("discovery" in item.text()) == (not entry["in_library"])
        for item, entry in zip(rows, result["artists"], strict=True)
    )
    first = next(item for item, entry in zip(rows, result["artists"], strict=True) if entry["in_library"])
    with qtbot.waitSignal(panel.showArtistRequested, timeout=WAIT) as clicked:
        panel.artists.itemClicked.emit(first)
    assert clicked.args[0] in ARTISTS
    with qtbot.waitSignal(panel.radioRequested, timeout=WAIT) as radio:
        panel.artists.itemDoubleClicked.emit(first)
    with Store.open(db) as store:
        assert get_track(store, radio.args[0])["artist"] == clicked.args[0]
    # No audio analysis in this library yet: "sounds like" says so in plain words.
    assert panel.tracks.count() == 0 and "analysed" in panel.tracks_note.text()
    # An untagged group has no fans, only a sound (seen in the first-hour walk: "Fans of Unknown artist (…)").
    with qtbot.waitSignal(panel.resultShown, timeout=WAIT):
        panel.show_artist("Unknown artist (metal)")
    assert panel.header.text() == "<b>Artists that sound like the tracks of Unknown artist (metal)</b>"


def test_fans_also_like_explains_an_unknown_artist(qtbot, corpus_db_path):
    panel = SimilarPanel(TaskRunner(), str(corpus_db_path))
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.resultShown, timeout=WAIT) as shown:
        panel.show_artist("scummvm")
    result = shown.args[0]
    # Game-music artists are not in the Last.fm data, and without audio analysis there is no bridge.
    assert result["known"] == "none" and result["artists"] == [] and result["sounds_like"] == []
    assert panel.artists.count() == 0
    assert "does not know this artist" in panel.note.text() and "not been analysed" in panel.note.text()


def test_fans_also_like_panel_leaves_bans_out(qtbot, tmp_path, corpus_files):
    """Issue 21 item 5: a library artist and a discovery banned after the panel's first lookup are gone
    from the next one (the panel keeps its index; the bans are read per lookup)."""
    from player.store.ratings import BAN, rate_artist

    db = _library(tmp_path, corpus_files)
    panel = SimilarPanel(TaskRunner(), db)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.resultShown, timeout=WAIT) as shown:
        panel.show_artist("Metallica")
    first = shown.args[0]["artists"]
    in_library = next(a["name"] for a in first if a["in_library"])
    discovery = next(a["name"] for a in first if not a["in_library"])
    with Store.open(db) as store:
        rate_artist(store, in_library, BAN)
        rate_artist(store, discovery, BAN)
    with qtbot.waitSignal(panel.resultShown, timeout=WAIT) as shown:
        panel.show_artist("Metallica", force=True)
    names = [a["name"] for a in shown.args[0]["artists"]]
    assert len(names) == len(first) and not {in_library, discovery} & set(names)
    rows = [panel.artists.item(i).text() for i in range(panel.artists.count())]
    assert len(rows) == len(names)
    assert not [r for r in rows if r == in_library or r.startswith(f"{discovery} ")]


def test_sounds_like_tells_apart_two_tracks_of_one_name(qtbot, analyzed_corpus_db, tmp_path):
    """Tracks named alike by one artist (a theme and its reprise on two albums; a guitar and a rhythm
    take on one) read as one entry twice (found in walks of the app): the album tells them apart, and
    the file's name where the album is the same too; the tooltip has album and file."""
    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    panel = SimilarPanel(TaskRunner(), str(db))
    qtbot.addWidget(panel)
    with Store.open(db) as store:
        seed = next(t for t in iter_tracks(store) if "wesnoth" in t["path"])
    with qtbot.waitSignal(panel.resultShown, timeout=WAIT) as shown:
        panel.show_artist(seed["artist"], seed["id"])
    ids = [t["track_id"] for t in shown.args[0]["sounds_like"][:3]]
    with Store.open(db) as store, store.transaction() as conn:
        conn.execute(
            "UPDATE tracks SET title = 'Theme', artist = 'Composer', album = CASE id WHEN ? THEN 'Reprise'"
            " ELSE 'Score' END WHERE id IN (?, ?, ?)",
            (ids[2], *ids),
        )
        paths = {i: get_track(store, i)["path"] for i in ids}
    with qtbot.waitSignal(panel.resultShown, timeout=WAIT):
        panel.show_artist(seed["artist"], seed["id"], force=True)
    items = {panel.tracks.item(r).data(Qt.ItemDataRole.UserRole + 22): panel.tracks.item(r) for r in range(3)}
    texts = [items[i].text() for i in ids]
    assert len(set(texts)) == 3, texts
    assert texts[2] == "Theme — Composer · Reprise"  # its album is its own
    for i, text in zip(ids[:2], texts[:2], strict=True):
        assert text == f"Theme — Composer · {paths[i].rsplit('/', 1)[-1]}"  # the album would not help
    for i in ids:
        tip = items[i].toolTip().split("\n")
        assert tip[0] == items[i].text() and tip[1].startswith("Audio similarity ") and tip[-1] == paths[i]
    others = [panel.tracks.item(r).text() for r in range(3, panel.tracks.count())]
    assert others and not any(" · " in t for t in others)  # a name of its own is left as it was


def test_the_panels_clear_once_nothing_plays(qtbot, analyzed_corpus_db, tmp_path, monkeypatch):
    """A walk stopped playback with the queue emptied: the bar said "Nothing playing" while "Fans also
    like" / "Sounds like" kept the last track's lists. They go with it, and the panel says how to fill
    it again; an artist asked for from the library stays once nothing plays."""
    from ui_helpers import close_window, open_window, set_ui_settings

    from ui.similar_panel import IDLE_HEADER, IDLE_NOTE

    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")
    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    set_ui_settings(db, first_run_done=True, analysis_enabled=False, scan_on_start=False)
    window, store = open_window(qtbot, db)
    try:
        panel = window.similar
        seed = next(t for t in iter_tracks(store) if "wesnoth" in t["path"])
        with qtbot.waitSignal(panel.resultShown, timeout=WAIT):
            window.play_tracks([seed["id"]], 0)
        assert panel.tracks.count() > 0 and panel.header.text() != IDLE_HEADER
        window.controller.queue.take([e.id for e in window.controller.queue.entries])
        window.next()  # stopped, nothing left in the queue
        assert window.now_playing.title.text() == "Nothing playing"
        assert panel.artists.count() == 0 and panel.tracks.count() == 0
        assert panel.header.text() == IDLE_HEADER and panel.note.text() == IDLE_NOTE
        assert panel.tracks_note.text() == ""
        with qtbot.waitSignal(panel.resultShown, timeout=WAIT):
            window.library.artistActivated.emit(seed["artist"])  # "Fans also like…" on a library row
        window._state_changed("stopped")  # nothing plays still: what was asked for stays
        assert panel.header.text() != IDLE_HEADER and seed["artist"] in panel.header.text()
    finally:
        close_window(window, store)
