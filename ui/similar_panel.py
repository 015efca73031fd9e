"""The "Fans also like" side panel for the playing (or chosen) artist.

Shows the artists nearest in the pretrained factor space — in your library (click: show their tracks;
double-click: start a radio from their best track) or discoveries (marked with a star: double-click
opens the artist's page in the browser, right-click copies the name) — and "sounds like" tracks from the audio embeddings. The lookup runs in a
worker (``recommender.similar.index``; the first call loads the bundle and the audio index). Empty and
cold-start states are said in plain words rather than shown as an empty list.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMenu, QVBoxLayout, QWidget

from ui.icons import icon
from ui.workers import TaskRunner

log = logging.getLogger(__name__)

_ARTIST_ROLE = Qt.ItemDataRole.UserRole + 20
_TRACKS_ROLE = Qt.ItemDataRole.UserRole + 21
_TRACK_ROLE = Qt.ItemDataRole.UserRole + 22
_LINK_ROLE = Qt.ItemDataRole.UserRole + 24
N_ARTISTS = 15
N_TRACKS = 10
#: What the panel says while it shows no one (at start, and once nothing plays).
IDLE_HEADER = "<b>Fans also like</b>"
IDLE_NOTE = "Play something, or right-click a track → “Fans also like…”."


def lookup_similar(db_path: str, artist: str, track_id: int | None, cache: dict[str, Any]) -> dict[str, Any]:
    """Plain data for the panel (worker thread), from ``recommender.similar.index.SimilarIndex``, without
    anything banned. ``cache`` keeps the index between calls (only one lookup runs at a time;
    ``invalidate`` empties it)."""
    from player.store import Store
    from player.store.tracks import get_track
    from recommender.similar.index import SimilarIndex
    from recommender.taste.bans import Bans

    with Store.open(db_path) as store:
        index = cache.get("index")
        if index is None:
            index = cache["index"] = SimilarIndex.from_store(store)
        bans = Bans.from_store(store)  # read per lookup: a ban made since the last one counts at once
        if track_id is not None:
            found = index.track(int(track_id), artist, N_ARTISTS, N_TRACKS, bans)
        else:
            found = index.artist(artist, N_ARTISTS, N_TRACKS, bans)
        artists = []
        for a in found.artists:
            entry = {
                "name": a.name,
                "score": a.score,
                "in_library": a.in_library,
                "track_ids": list(a.track_ids),
                "link": a.link,
                "predicted": a.predicted,
            }
            if a.in_library and a.track_ids:
                first = get_track(store, int(a.track_ids[0])) or {}
                entry["library_name"] = first.get("artist") or first.get("album_artist") or a.name
            artists.append(entry)
        sounds = []
        for s in found.sounds_like:
            t = get_track(store, int(s.track_id)) or {}
            title = t.get("title") or (t.get("path") or "?").rsplit("/", 1)[-1]
            sounds.append(
                {
                    "track_id": s.track_id,
                    "score": s.score,
                    "title": title,
                    "artist": t.get("artist"),
                    "album": t.get("album"),
                    "path": t.get("path"),
                }
            )
        missing = track_id is not None and bool((get_track(store, int(track_id)) or {}).get("missing"))
    return {
        "artist": artist,
        "known": found.known,
        "artists": artists,
        "sounds_like": sounds,
        "missing": missing,
    }


def _told_apart(sounds: list[dict[str, Any]], labels: list[str]) -> list[str]:
    """Two "Battle — Wesnoth Project" in one list read as one track twice: where labels repeat, the
    album follows, and where the album repeats too (a guitar and a rhythm take), the file's name."""

    def file_name(t: dict[str, Any]) -> str:
        return str(t.get("path") or "?").rsplit("/", 1)[-1]

    with_album = [
        f"{text} · {t.get('album') or file_name(t)}" if labels.count(text) > 1 else text
        for t, text in zip(sounds, labels, strict=True)
    ]
    return [
        f"{text} · {file_name(t)}" if with_album.count(album) > 1 else album
        for t, text, album in zip(sounds, labels, with_album, strict=True)
    ]


class SimilarPanel(QWidget):
    showArtistRequested = Signal(str)
    radioRequested = Signal(int)
    playRequested = Signal(int)
    resultShown = Signal(object)
    notInterested = Signal(str)  # a discovery the listener never wants suggested (the window bans it)

    def __init__(self, runner: TaskRunner, db_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.track_label: Any = None  # track id -> "Title — Artist" as the library shows it, or None
        self.runner = runner
        self.db_path = db_path
        self._cache: dict[str, Any] = {}
        self._artist: str | None = None
        self._track_id: int | None = None
        self._pending: tuple[str, int | None] | None = None
        self._busy = False
        self.result: dict[str, Any] | None = None

        self.header = QLabel(IDLE_HEADER)
        # "Fans of Joseph G. Toscano (Zhaytee) also like" is wider than the panel
        self.header.setWordWrap(True)
        self.note = QLabel(IDLE_NOTE)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666;")
        self.artists = QListWidget()
        self.artists.setIconSize(QSize(14, 14))
        self.artists.itemClicked.connect(self._artist_clicked)
        self.artists.itemDoubleClicked.connect(self._artist_double_clicked)
        self.artists.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.artists.customContextMenuRequested.connect(self._artist_menu)
        self.tracks_header = QLabel("<b>Sounds like</b>")
        self.tracks_note = QLabel("")
        self.tracks_note.setWordWrap(True)
        self.tracks_note.setStyleSheet("color: #666;")
        self.tracks = QListWidget()
        self.tracks.itemDoubleClicked.connect(self._track_double_clicked)
        self.tracks.setToolTip("Double-click: play · Ctrl+R on the library table: radio")
        for pane in (self.artists, self.tracks):  # long names elide instead of scrolling sideways
            pane.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            pane.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.note)
        layout.addWidget(self.artists, 3)
        layout.addWidget(self.tracks_header)
        layout.addWidget(self.tracks_note)
        layout.addWidget(self.tracks, 2)

    def invalidate(self) -> None:
        """The library or its analysis changed: reload the recommender on the next lookup."""
        self._cache = {}  # a lookup still running keeps (and fills) the old one
        if self._artist is not None:
            self.show_artist(self._artist, self._track_id, force=True)

    def refresh(self) -> None:
        """Look the shown artist up again: a ban or an unban changes what the panel may list (bans are
        applied at query time, so the index itself is kept)."""
        if self._artist is not None:
            self.show_artist(self._artist, self._track_id, force=True)

    def clear_playing(self) -> None:
        """Nothing plays any more: the lists of the track that played go, and the panel says how to fill
        it again (a walk saw the last track's "Sounds like" beside "Nothing playing"). An artist the
        listener asked for ("Fans also like…" in the library: no track) stays, as it has nothing to do
        with playback. A lookup still running is dropped when it answers (``_show`` checks the artist)."""
        if self._track_id is None:
            return
        self._artist = self._track_id = None
        self._pending = None
        self.result = None
        self.artists.clear()
        self.tracks.clear()
        self.header.setText(IDLE_HEADER)
        self.note.setText(IDLE_NOTE)
        self.tracks_note.setText("")

    def show_artist(self, artist: str, track_id: int | None = None, force: bool = False) -> None:
        if not artist:
            return
        if not force and artist == self._artist and track_id == self._track_id and self.result is not None:
            return
        self._artist, self._track_id = artist, track_id
        self.header.setText(_header(artist))
        if self._busy:
            self._pending = (artist, track_id)
            return
        self._busy = True
        if self.result is None:
            self.note.setText("Looking for similar artists…")
        self.runner.start(
            lookup_similar,
            self.db_path,
            artist,
            track_id,
            self._cache,
            on_result=self._show,
            on_error=self._error,
        )

    def _done(self) -> None:
        self._busy = False
        if self._pending is not None:
            artist, track_id = self._pending
            self._pending = None
            self.show_artist(artist, track_id, force=True)

    def _error(self, message: str) -> None:
        log.error("fans also like failed: %s", message)
        self.result = None
        self.artists.clear()
        self.tracks.clear()
        self.note.setText(f"Similar artists are not available right now ({message}).")
        self._done()

    def _show(self, result: dict[str, Any]) -> None:
        self._done()
        if self._pending is not None or result.get("artist") != self._artist:
            return
        self.result = result
        self.artists.clear()
        for entry in result.get("artists", []):
            name = entry["name"]
            if entry.get("in_library"):
                item = QListWidgetItem(icon("library"), f"{name}")
                n = len(entry.get("track_ids") or [])
                item.setToolTip(
                    f"In your library ({n} tracks). Click: show their tracks · double-click: start a radio"
                )
            else:
                item = QListWidgetItem(icon("discovery"), f"{name}   · discovery")
                item.setForeground(QBrush(QColor(150, 100, 0)))
                link = entry.get("link") or ""
                item.setToolTip(
                    "Not in your library — a discovery to look up"
                    + (f": {link}" if link else "")
                    + " · double-click: open the page · right-click: copy the name"
                )
                item.setData(_LINK_ROLE, link or None)
            item.setData(_ARTIST_ROLE, entry.get("library_name") or name)
            item.setData(_TRACKS_ROLE, list(entry.get("track_ids") or []))
            item.setData(Qt.ItemDataRole.UserRole + 23, bool(entry.get("in_library")))
            self.artists.addItem(item)
        self.note.setText(result.get("note") or _default_note(result))
        self.tracks.clear()
        sounds = result.get("sounds_like", [])
        for t, text in zip(sounds, _told_apart(sounds, [self._sound_label(t) for t in sounds]), strict=True):
            item = QListWidgetItem(text)
            item.setData(_TRACK_ROLE, int(t["track_id"]))
            score = t.get("score")
            tip = [text]  # the entry whole: the list elides it to its width
            tip += [f"Audio similarity {float(score):.2f}"] if score is not None else []
            tip += [f"Album: {t['album']}"] if t.get("album") else []
            tip += [str(t["path"])] if t.get("path") else []
            item.setToolTip("\n".join(tip))
            self.tracks.addItem(item)
        self.tracks_note.setText(result.get("sounds_like_note") or _default_tracks_note(result))
        self.resultShown.emit(result)

    def _sound_label(self, t: dict) -> str:
        """The library's own label when the window gives one (tidy titles of untagged files)."""
        shown = self.track_label(int(t["track_id"])) if self.track_label is not None else None
        return shown or f"{t.get('title') or '?'} — {t.get('artist') or 'Unknown artist'}"

    def _artist_clicked(self, item: QListWidgetItem) -> None:
        if item.data(Qt.ItemDataRole.UserRole + 23):
            self.showArtistRequested.emit(item.data(_ARTIST_ROLE))

    def _artist_double_clicked(self, item: QListWidgetItem) -> None:
        ids = item.data(_TRACKS_ROLE) or []
        if item.data(Qt.ItemDataRole.UserRole + 23) and ids:
            self.radioRequested.emit(int(ids[0]))
        elif not item.data(Qt.ItemDataRole.UserRole + 23):
            from ui.links import open_link

            open_link(item.data(_LINK_ROLE))  # a discovery: its page in the browser

    def _artist_menu(self, pos: Any) -> None:
        item = self.artists.itemAt(pos)
        menu = self.artist_menu(item) if item is not None else None
        if menu is not None:
            menu.exec(self.artists.viewport().mapToGlobal(pos))

    def artist_menu(self, item: QListWidgetItem) -> QMenu | None:
        """A discovery's context menu (open its page, copy its name, not interested); None for an artist
        of the library, which has none."""
        if item.data(Qt.ItemDataRole.UserRole + 23):
            return None
        from ui.links import copy_name, open_link

        # Read now: the panel is rebuilt when the track changes, maybe while the menu is open (a walk
        # found the actions then raising on the deleted item).
        name, link = str(item.data(_ARTIST_ROLE)), item.data(_LINK_ROLE)
        menu = QMenu(self)
        menu.addAction("Open the artist's page", lambda: open_link(link))
        menu.addAction("Copy name", lambda: copy_name(name))
        menu.addSeparator()
        menu.addAction("Not interested (never suggest it again)", lambda: self.notInterested.emit(name))
        return menu

    def _track_double_clicked(self, item: QListWidgetItem) -> None:
        self.playRequested.emit(int(item.data(_TRACK_ROLE)))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: What the panels say while the playing track's file is missing: not "not analysed yet", which it was.
MISSING_NOTE = (
    "This track's file is missing (its music folder unplugged or renamed?): similar artists and tracks "
    "come back with the folder."
)


def _header(artist: str) -> str:
    """ "Fans of Portishead also like"; an untagged group has no fans, only a sound: "Artists that sound
    like Unknown artist (drascula)"."""
    from player.naming import is_untagged_artist

    if is_untagged_artist(artist):
        return f"<b>Artists that sound like the tracks of {_esc(artist)}</b>"
    return f"<b>Fans of {_esc(artist)} also like</b>"


def _default_note(result: dict[str, Any]) -> str:
    artists = result.get("artists") or []
    if not artists:
        if result.get("missing"):
            return MISSING_NOTE
        if result.get("known") == "none":
            if result.get("sounds_like"):
                return (
                    "Encore's listening data does not know this artist yet, so there are no fans to ask. "
                    "Below: tracks from your library that sound like this one."
                )
            return (
                "Encore's listening data does not know this artist, and their audio has not been analysed "
                "yet, so there is nothing to compare with. Similar artists appear once the background "
                "analysis reaches their tracks."
            )
        return "No similar artists found."
    in_lib = sum(1 for a in artists if a.get("in_library"))
    text = f"{in_lib} in your library (✓), {len(artists) - in_lib} discoveries (★, not in your library)."
    if result.get("known") == "audio":
        text += " This artist is new to Encore's listening data: placed by how their music sounds."
    return text


def _default_tracks_note(result: dict[str, Any]) -> str:
    if result.get("sounds_like"):
        return "Tracks in your library whose audio is closest."
    if result.get("missing"):
        return MISSING_NOTE
    return "No audio analysis for this track yet: “sounds like” appears once it is analysed."
