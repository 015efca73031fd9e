"""The desktop side of shaping what plays, driven with pytest-qt on the real corpus: the Playlists tab
(create, drop tracks, drag reorder, rename, export/import with missing entries, delete, play), the smart
playlist dialog (live count, clear messages), love/ban from the now-playing bar with MPRIS's rating and
the Bans dialog's undo, the library's context menu, "sounds:" in the filter and Radio to…."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMenu
from ui_helpers import WAIT, close_window, open_window, set_ui_settings

from player.store.playlists import find_playlist, playlist_track_ids
from player.store.ratings import banned_track_ids, track_rating
from player.store.smart import count_smart, validate_rules
from player.store.tracks import iter_tracks
from player.text import count_text
from ui.library_model import MIME_TRACK_IDS


@pytest.fixture(autouse=True)
def _silent_audio(monkeypatch):
    monkeypatch.setenv("ENCORE_AUDIO_OUTPUT", "adummy")


@pytest.fixture
def analysed_db(analyzed_corpus_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    set_ui_settings(db, first_run_done=True, analysis_enabled=False, scan_on_start=False)
    return db


def _drop(widget, ids: list[int], at: QPointF | None = None) -> None:
    mime = QMimeData()
    mime.setData(MIME_TRACK_IDS, ",".join(map(str, ids)).encode())
    event = QDropEvent(
        at or QPointF(5, 500),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(event)


def test_playlists_panel(qtbot, copy_corpus_store, tmp_path):
    from ui.playlists_panel import PlaylistsPanel

    store = copy_corpus_store
    ids = [t["id"] for t in iter_tracks(store) if "wesnoth" in t["path"]][:4]
    panel = PlaylistsPanel(store)
    qtbot.addWidget(panel)
    pid = panel.create_playlist("Evening")
    assert pid is not None and panel.lists.count() == 1
    # An error from the core reads as a sentence that says what failed (a walk found "a playlist named
    # 'evening' already exists" in lowercase, with Python's quotes).
    assert panel.create_playlist("evening") is None
    assert panel.messages.text() == "Cannot create the playlist: a playlist named “evening” already exists."
    panel.tracks.clear()
    _drop(panel.tracks, ids[:3])  # dropped from the library table
    _drop(panel.lists, [ids[3]], QPointF(panel.lists.visualItemRect(panel.lists.item(0)).center()))
    assert playlist_track_ids(store, pid) == ids and panel.track_ids() == ids
    # A drag inside the list moves the model's rows: the new order is stored.
    assert panel.tracks.model().moveRows(QModelIndex(), 3, 1, QModelIndex(), 0)
    assert playlist_track_ids(store, pid) == [ids[3], *ids[:3]]
    panel.tracks.item(1).setSelected(True)
    panel.remove_selected()
    assert playlist_track_ids(store, pid) == [ids[3], ids[1], ids[2]]
    panel.add_tracks(pid, [ids[0]], 1)
    assert playlist_track_ids(store, pid) == [ids[3], *ids[:3]]
    panel.rename_current("  ")  # no name: refused, and said so
    assert panel.messages.text() == "Cannot rename “Evening”: a playlist needs a name."
    panel.rename_current("Late evening")
    assert find_playlist(store, "late evening")["id"] == pid
    # A rename that worked says so: the line no longer shows an error about an earlier try.
    assert panel.messages.text() == "Renamed “Evening” to “Late evening”."
    out = tmp_path / "late.m3u8"
    assert panel.export_current(str(out)) == 4
    out.write_text(out.read_text(encoding="utf-8") + "missing/track.ogg\n", encoding="utf-8")
    with qtbot.waitSignal(panel.message) as said:
        result = panel.import_file(str(out))
    # One line the status bar shows whole (it shows a message's first line); the list is in the details.
    assert result.added == 4 and said.args[0] == panel.messages.label.text()
    assert "\n" not in said.args[0] and said.args[0].endswith("1 entry was not found (see details).")
    assert "missing/track.ogg" not in said.args[0]
    assert (
        panel.messages.details_button.isVisibleTo(panel)
        and "missing/track.ogg" in panel.messages.label.toolTip()
    )
    box = panel.messages.show_details()
    assert "missing/track.ogg" in box.detailedText()
    # The list shows at once (the button asked for it), under a message that no longer says "see details".
    from PySide6.QtWidgets import QTextEdit

    assert "see details" not in box.text() and any(e.isVisible() for e in box.findChildren(QTextEdit))
    box.close()
    broken = tmp_path / "broken.xspf"
    broken.write_text("<playlist><trackList>", encoding="utf-8")
    assert panel.import_file(str(broken)) is None and "Cannot import" in panel.messages.label.text()
    nothing = tmp_path / "elsewhere.m3u8"
    nothing.write_text("#EXTM3U\n#EXTINF:1,Nobody - Nothing\nC:\\Music\\gone.ogg\n", encoding="utf-8")
    count = panel.lists.count()
    assert panel.import_file(str(nothing)) is None and panel.lists.count() == count  # no empty playlist
    assert (
        "no playlist was created" in panel.messages.label.text() and "\n" not in panel.messages.label.text()
    )
    assert "C:\\Music\\gone.ogg" in panel.messages.label.toolTip()
    assert "Nobody – Nothing" in panel.messages.label.toolTip()  # the name the file gave it, beside the path
    # The imported playlist is shown, in the file's order, under the name the export wrote in it.
    copy = "Late evening (2)"
    assert panel.current()["name"] == copy
    with qtbot.waitSignal(panel.playRequested) as played:
        panel.play_current()
    assert played.args[0] == [ids[3], *ids[:3]] and played.args[2] == copy
    box = panel.delete_current()  # asked first: Cancel keeps it (found in a walk: one click lost it)
    assert f"Delete the playlist “{copy}”?" in box.text()
    box.button(box.StandardButton.Cancel).click()
    assert find_playlist(store, copy) is not None and panel.lists.count() == 2
    panel.delete_current().button(box.StandardButton.Yes).click()
    assert find_playlist(store, copy) is None and panel.lists.count() == 1
    assert panel.current()["name"] == "Late evening"


def test_rule_dialog_counts_live_and_explains_bad_rules(qtbot, analysed_db):
    from player.store import Store
    from ui.playlists_panel import PlaylistsPanel

    with Store.open(analysed_db) as store:
        panel = PlaylistsPanel(store)
        qtbot.addWidget(panel)
        dialog = panel.edit_smart()
        dialog.name_edit.setText("Calm")
        row = dialog.rows[0]
        row.field.setCurrentText("ambient")
        row.op.setCurrentText(">")
        row.value.setText("0.1")
        second = dialog.add_row()
        second.field.setCurrentText("tempo")
        second.op.setCurrentText("<")
        second.value.setText("120")
        dialog.limit.setValue(25)
        dialog.sort.setCurrentText("last_played")
        expected = count_smart(store, validate_rules(dialog.rules()))
        assert 0 < expected <= 25
        qtbot.waitUntil(lambda: dialog.count_label.text() == f"{expected} tracks match now", timeout=WAIT)
        second.value.setText("fast")
        qtbot.waitUntil(lambda: "needs a number" in dialog.error_label.text(), timeout=WAIT)
        assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
        second.value.setText("120")
        dialog.remove_row(row)
        dialog.remove_row(second)
        qtbot.waitUntil(lambda: "rule is empty" in dialog.error_label.text(), timeout=WAIT)
        first = dialog.add_row({"field": "ambient", "op": ">", "value": 0.1})
        dialog.add_row({"field": "tempo", "op": "<", "value": 120})
        assert first.value.text() == "0.1"
        # Another kind of field clears the value ("0.1" means nothing to a genre); the same kind keeps it.
        first.field.setCurrentText("tempo")
        assert first.value.text() == "0.1"
        first.field.setCurrentText("genre")
        assert first.value.text() == "" and first.op.currentText() == "is"
        first.value.setText("rock")
        for typed in ("a", "al", "alb", "album"):  # a name typed letter by letter: text to text
            first.field.setCurrentText(typed)
        assert first.value.text() == "rock"
        # "plays" and "play_count" say what each counts (a walk found them side by side, unexplained).
        first.field.setCurrentText("plays")
        assert "played to the end" in first.value.placeholderText() and "plays:" in first.field.toolTip()
        first.field.setCurrentText("play_count")
        assert "however each ended" in first.value.placeholderText()
        tips = {
            first.field.itemText(k): first.field.itemData(k, Qt.ItemDataRole.ToolTipRole)
            for k in range(first.field.count())
        }
        assert "completions" in tips["plays"] and "skipped or stopped" in tips["play_count"]
        first.field.setCurrentText("ambient")
        first.op.setCurrentText(">")
        first.value.setText("0.1")
        dialog.update_count()
        assert dialog.error is None
        dialog.accept()
        playlist = find_playlist(store, "Calm")
        assert playlist is not None and playlist["smart"] and playlist["rules"]["limit"] == 25
        assert panel.tracks.count() == expected and "Smart:" in panel.rules_label.text()


def test_love_and_ban_from_the_window(qtbot, analysed_db):
    from ui.mpris import Mpris

    window, store = open_window(qtbot, analysed_db)
    try:
        tabs = window.tabs
        assert tabs.indexOf(window.playlists) >= 0  # found by widget, never by index
        ids = window.library.model.visible_ids()[:3]
        window.play_tracks(ids, 0)
        qtbot.waitUntil(lambda: window._current_track_id == ids[0], timeout=WAIT)
        assert window.love_button.isEnabled() and not window.love_button.isChecked()
        window.love_button.click()
        assert track_rating(store, ids[0]) == 1 and window.love_button.isChecked()
        assert (
            window.statusBar().currentMessage()
            == f"Loved {window._track_label(window.library.model.track(ids[0]))}"
        )
        mpris = Mpris(window)
        assert mpris.metadata()["xesam:userRating"] == 1.0
        window.ban_button.click()  # a ban replaces the love and skips the track
        assert track_rating(store, ids[0]) == -1
        qtbot.waitUntil(lambda: window._current_track_id == ids[1], timeout=WAIT)
        assert not window.ban_button.isChecked() and "xesam:userRating" not in mpris.metadata()
        dialog = window.show_bans()
        assert window.bans_list.count() == 1
        window.bans_list.setCurrentRow(0)
        window.unban_button.click()  # undo
        assert track_rating(store, ids[0]) == 0 and window.bans_list.item(0).text() == "Nothing is banned."
        dialog.close()
        # The context menu offers love, ban, the artist's ban, playlists and Radio to…
        menu = QMenu(window)
        window._library_menu(menu, [ids[2]])
        texts = [a.text() for a in menu.actions()]
        assert "♥ Love" in texts and "⊘ Ban" in texts and "Add to playlist" in texts
        assert any(t.startswith("⊘ Ban the artist") for t in texts)
        love_artist = next(a for a in menu.actions() if a.text().startswith("♥ Love the artist"))
        love_artist.trigger()  # an artist can be loved as it can be banned
        assert window.statusBar().currentMessage().startswith("Loved the artist ")
        from player.store.ratings import artist_rating
        from ui.library_rows import ARTIST

        assert artist_rating(store, window.library.model.track(ids[2])[ARTIST]) == 1
        ban_artist = next(a for a in menu.actions() if a.text().startswith("⊘ Ban the artist"))
        ban_artist.trigger()
        assert ids[2] in banned_track_ids(store)
        assert window.statusBar().currentMessage().startswith("Banned the artist ")
        # The menu then offers to undo what was done to the artist (only Rate ▸ Bans… could).
        artist = window.library.model.track(ids[2])[ARTIST]
        window.library.context_track_id = ids[2]
        menu = QMenu(window)
        window._library_menu(menu, [ids[2]])
        texts = [a.text() for a in menu.actions()]
        assert f"Unban the artist {artist}" in texts and f"♥ Love the artist {artist}" in texts
        assert not any(t.startswith("⊘ Ban the artist") for t in texts)
        next(a for a in menu.actions() if a.text() == f"Unban the artist {artist}").trigger()
        assert artist_rating(store, artist) == 0 and ids[2] not in banned_track_ids(store)
        window.rate([], 1, artist=artist)
        menu = QMenu(window)
        window._library_menu(menu, [ids[2]])
        texts = [a.text() for a in menu.actions()]
        assert f"Clear the love of the artist {artist}" in texts and f"⊘ Ban the artist {artist}" in texts
        next(a for a in menu.actions() if a.text().startswith("Clear the love of the artist")).trigger()
        assert artist_rating(store, artist) == 0
        # With several rows selected, the artist offered is the one of the row right-clicked.
        from ui.library_rows import row_artist

        other = next(
            t
            for t in window.library.model.visible_ids()
            if row_artist(window.library.model.track(t)) != row_artist(window.library.model.track(ids[0]))
        )
        window.library.context_track_id = other
        menu = QMenu(window)
        window._library_menu(menu, [ids[0], other])
        offered = next(a.text() for a in menu.actions() if a.text().startswith("⊘ Ban the artist"))
        assert offered == f"⊘ Ban the artist {row_artist(window.library.model.track(other))}"
        # Menus: Rate sits before Help, which stays last; love comes before ban in the bar.
        titles = [a.text() for a in window.menuBar().actions()]
        assert titles[-2:] == ["&Rate", "&Help"]
        bar = window.now_playing._transport
        assert bar.indexOf(window.love_button) + 1 == bar.indexOf(window.ban_button)
        # Tracks dragged from the Library: holding them over the Playlists tab opens it.
        assert window.tabs.tabBar().changeCurrentOnDrag() and window.tabs.tabBar().acceptDrops()
    finally:
        close_window(window, store)


def test_sounds_filter_and_radio_to(qtbot, analysed_db):
    window, store = open_window(qtbot, analysed_db)
    try:
        paths = {t["id"]: t["path"] for t in iter_tracks(store)}
        window.library.filter.setText("sounds: ambient")
        qtbot.waitUntil(lambda: 0 < window.library.model.rowCount() < 60, timeout=WAIT)
        shown = window.library.model.visible_ids()
        assert "wesnoth" in paths[shown[0]] and not any("fretsonfire" in paths[t] for t in shown)
        from ui.library_rows import artist_counts, row_artist

        matched = artist_counts([window.library.model.track(t) for t in shown])
        assert window.library.artists.count() == len(matched) + 1  # the panes list what the sound found
        # With an artist chosen, the table still shows every track the status bar counts (a walk of the
        # app found "50 tracks sound like" over a table of 11, those of the artist chosen before).
        window.library.filter.setText("")
        qtbot.waitUntil(lambda: window.library.model.rowCount() == len(paths), timeout=WAIT)
        assert window.library.panes.choose_artist(row_artist(window.library.model.track(shown[0])))
        assert len(matched) > 1
        window.statusBar().clearMessage()
        window.library.filter.setText("sounds: ambient")
        qtbot.waitUntil(lambda: "like 'ambient'" in window.statusBar().currentMessage(), timeout=WAIT)
        said = window.statusBar().currentMessage()
        assert said.startswith(f"{count_text(len(shown))} sound"), said
        assert window.library.model.rowCount() == len(shown)
        assert window.library.current_artist() is None
        # Plain "ambient": no genre tag says so, so the filter falls back to the sound of the tracks.
        window.library.filter.setText("")
        qtbot.waitUntil(lambda: window.library.model.rowCount() == len(paths), timeout=WAIT)
        window.library.filter.setText("ambient")
        qtbot.waitUntil(
            lambda: "No tag matches 'ambient'" in window.statusBar().currentMessage(), timeout=WAIT
        )
        assert window.library.model.visible_ids()[:5] == shown[:5]
        window.library.filter.setText("zzzz no such words")
        qtbot.waitUntil(lambda: window.library.model.filter_text() == "zzzz no such words", timeout=WAIT)
        qtbot.wait(300)
        assert window.library.model.rowCount() == 0  # neither a tag nor a sound
        window.library.filter.setText("sounds: xyzzy")
        qtbot.waitUntil(lambda: "no known sound" in window.statusBar().currentMessage(), timeout=WAIT)
        window.library.filter.setText("")
        qtbot.waitUntil(lambda: window.library.model.rowCount() == len(paths), timeout=WAIT)
        a = next(t for t, p in paths.items() if "wesnoth" in p and p.endswith("elf-land.ogg"))
        b = next(t for t, p in paths.items() if p.endswith("chaos_god/song.ogg"))
        window.radio_to(a, b, 8)
        qtbot.waitUntil(lambda: len(window.controller.queue.entries) == 8, timeout=WAIT)
        entries = window.controller.queue.entries
        assert entries[0].track_id == a and entries[-1].track_id == b
        assert all(e.source == "radio" and e.seed.startswith("Path to") for e in entries)
        qtbot.waitUntil(lambda: window._current_track_id == a, timeout=WAIT)
        assert window.now_playing.why.text().endswith("· the start")
        # Issue 26 item 9: the queue's tooltip and a step's reason read as words, not "Radio from Path
        # to …" and "34% of the way to B in sound, 0.21 from the previous track".
        from PySide6.QtCore import Qt

        tip = window.queue_model.data(window.queue_model.index(3, 0), Qt.ItemDataRole.ToolTipRole)
        assert tip.startswith("Path to ") and "Radio from" not in tip, tip
        step = window.why_text(entries[3])
        assert "step 3 of 7" in step and " B " not in step and "0." not in step, step
        from types import SimpleNamespace

        restored = SimpleNamespace(source="radio", seed=entries[0].seed, track_id=entries[3].track_id)
        window._path_why.clear()  # after a restart only the label is known: no "Radio from Path to …"
        assert window.why_text(restored) == entries[0].seed
        header = window.queue_view.subheader.text()
        assert header.startswith("Path to ") and "re-planned" not in header  # a path is not re-planned
    finally:
        close_window(window, store)


def test_rule_dialog_groups_conditions_with_and_or_and_keeps_cli_rules(qtbot, analysed_db):
    from player.store import Store
    from ui.playlists_panel import PlaylistsPanel
    from ui.rule_dialog import RuleDialog

    with Store.open(analysed_db) as store:
        panel = PlaylistsPanel(store)
        qtbot.addWidget(panel)
        dialog = panel.edit_smart()
        dialog.name_edit.setText("Calm, or slow guitar")
        dialog.rows[0].value.setText("0.1")  # ambient > 0.1 ...
        group = dialog.add_group()  # ... AND any of (tempo < 100, genre contains rock)
        group.match.setCurrentText("any")
        group.rows()[0].field.setCurrentText("tempo")
        group.rows()[0].op.setCurrentText("<")
        group.rows()[0].value.setText("100")
        rock = group.add_row({"field": "genre", "op": "contains", "value": "rock"})
        expected = {
            "match": "all",
            "conditions": [
                {"field": "ambient", "op": ">", "value": "0.1"},
                {
                    "match": "any",
                    "conditions": [
                        {"field": "tempo", "op": "<", "value": "100"},
                        {"field": "genre", "op": "contains", "value": "rock"},
                    ],
                },
            ],
        }
        assert dialog.rules() == expected
        count = count_smart(store, validate_rules(expected))
        both = count_smart(store, validate_rules({**expected, "conditions": [expected["conditions"][0]]}))
        assert 0 < count <= both  # the group narrows the first condition
        qtbot.waitUntil(lambda: dialog.count_label.text().startswith(f"{count} track"), timeout=WAIT)
        # Unknown fields (typed in the editable field box), empty groups: said plainly, OK disabled.
        rock.field.setCurrentText("ambiant")
        qtbot.waitUntil(lambda: "nknown field 'ambiant'" in dialog.error_label.text(), timeout=WAIT)
        assert "did you mean 'ambient'" in dialog.error_label.text()
        # The dialog grows with the error instead of squeezing the rows (a walk: rows 12 px high).
        dialog.show()
        qtbot.waitUntil(
            lambda: all(r.height() >= r.minimumSizeHint().height() for r in group.rows()), timeout=WAIT
        )
        label = dialog.error_label
        assert label.height() >= label.heightForWidth(label.width()) - 1  # the whole error shows
        assert dialog.width() >= 560
        assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
        group.remove_item(rock)
        group.remove_item(group.rows()[0])
        qtbot.waitUntil(lambda: "group of conditions is empty" in dialog.error_label.text(), timeout=WAIT)
        group.add_row({"field": "tempo", "op": "<", "value": 100})
        group.add_row({"field": "genre", "op": "contains", "value": "rock"})
        dialog.update_count()
        assert dialog.error is None and dialog.rules()["conditions"][1]["match"] == "any"
        dialog.accept()
        saved = find_playlist(store, "Calm, or slow guitar")["rules"]
        assert saved["conditions"][1]["match"] == "any" and len(saved["conditions"][1]["conditions"]) == 2
        # Rules written by the CLI open as they are: nested groups become boxes, nothing is dropped.
        reopened = RuleDialog(store, "again", saved)
        qtbot.addWidget(reopened)
        assert validate_rules(reopened.rules()) == validate_rules(saved) and len(reopened.top.groups()) == 1
        odd = RuleDialog(
            store, "odd", {"match": "all", "conditions": [{"field": "sparkle", "op": ">", "value": 1}]}
        )
        qtbot.addWidget(odd)
        assert odd.rows[0].field.currentText() == "sparkle" and "unknown field 'sparkle'" in odd.error
        # The field box lists the fields by section; section titles cannot be chosen.
        box = dialog.rows[0].field
        titles = [box.itemText(i) for i in range(box.count()) if not box.model().item(i).isEnabled()]
        assert titles[0] == "— Tags —" and any("Sound" in t for t in titles)


def test_the_playlists_tab_guides_an_empty_start(qtbot, copy_corpus_store):
    from ui.playlists_panel import EMPTY_HINT, EMPTY_PLAYLIST_HINT, PlaylistsPanel

    store = copy_corpus_store
    tracks = [t for t in iter_tracks(store) if "wesnoth" in t["path"]][:3]
    panel = PlaylistsPanel(store)
    qtbot.addWidget(panel)
    assert panel.rules_label.text() == EMPTY_HINT
    assert not any(panel.buttons[k].isEnabled() for k in ("rename", "delete", "export", "play", "remove"))
    pid = panel.create_playlist("Road")
    assert panel.rules_label.text() == EMPTY_PLAYLIST_HINT and not panel.buttons["play"].isEnabled()
    assert panel.buttons["rename"].isEnabled() and panel.buttons["export"].menu() is not None
    with qtbot.waitSignal(panel.message) as said:
        panel.add_tracks(pid, [t["id"] for t in tracks])
    assert said.args == ["Added 3 tracks to “Road”."]  # the window shows it in its status bar too
    from ui.library_rows import format_duration

    total = format_duration(sum(t["duration"] for t in tracks))
    assert panel.rules_label.text() == f"3 tracks · {total}" and panel.buttons["play"].isEnabled()
    assert panel.tracks.item(0).text().endswith(format_duration(tracks[0]["duration"]))
    # The line speaks of the last action: choosing another playlist clears it (a walk saw a message
    # about one playlist stay under the next).
    assert panel.create_playlist("Trip") and panel.messages.text() == "Created the playlist “Trip”."
    panel.lists.setCurrentRow(0 if panel.current()["name"] == "Trip" else 1)
    assert panel.current()["name"] == "Road" and panel.messages.text() == ""


def test_a_ban_marks_the_library_rows_at_once(qtbot, analysed_db):
    """Issue 21 item 5: banning a track or an artist from the window marks their rows (⊘, "Banned") in
    place; clearing the rating takes the mark away."""
    from ui.library_rows import artist_counts, row_artist

    window, store = open_window(qtbot, analysed_db)
    try:
        model = window.library.model
        ids = model.visible_ids()
        track = ids[0]
        artist = row_artist(model.track(ids[-1]))
        artist_ids = [t for t in ids if row_artist(model.track(t)) == artist]

        def title(t: int) -> str:
            return model.data(model.index(model.row_of(t), 0))

        def tip(t: int) -> str:
            return model.data(model.index(model.row_of(t), 0), Qt.ItemDataRole.ToolTipRole)

        assert not title(track).startswith("⊘")
        window.rate([track], -1)
        assert title(track).startswith("⊘ ") and tip(track).startswith("Banned")
        window.rate([], -1, artist=artist)
        assert all(title(t).startswith("⊘ ") and tip(t).startswith("Banned") for t in artist_ids)
        window.rate([track], None)
        assert not title(track).startswith("⊘") and not tip(track).startswith("Banned")
        others = [t for t in ids if t != track and t not in artist_ids]
        assert not any(title(t).startswith("⊘") for t in others[:50])
        # The artist pane marks the banned artist too (found in a walk of the app: it did not), and
        # its tooltip says so; the mark survives a reload of the library and goes with the rating.
        panes = window.library.panes
        row = panes.artist_values.index(artist)
        n_tracks = dict(artist_counts(window.library.model.matching_rows()))[artist]
        assert panes.artists.item(row).text() == f"{artist} ({n_tracks}) ⊘"
        assert panes.tooltip_at(panes.artists, row).endswith("· Banned (the artist)")
        unrated = next(r for r, name in enumerate(panes.artist_values) if name not in (None, artist))
        assert not panes.artists.item(unrated).text().endswith("⊘")
        n = int(panes.artists.item(unrated).text().rsplit("(", 1)[1][:-1])
        assert panes.tooltip_at(panes.artists, unrated) == f"{panes.artist_values[unrated]} — {count_text(n)}"
        window.reload_library()
        qtbot.waitUntil(lambda: not window.runner.busy(), timeout=30000)
        row = panes.artist_values.index(artist)
        assert panes.artists.item(row).text() == f"{artist} ({n_tracks}) ⊘"
        window.rate([], None, artist=artist)
        assert panes.artists.item(row).text() == f"{artist} ({n_tracks})"
    finally:
        close_window(window, store)


def test_a_smart_playlist_follows_plays_made_since_it_was_shown(qtbot, analysed_db):
    """Found in a walk of the app: a track of a "plays < 1" smart playlist played to its end was still
    listed when the listener came back to the Playlists tab, until another playlist was chosen."""
    from player.store.playlists import create_playlist
    from player.store.plays import close_play, start_play
    from ui.playlist_lists import ID_ROLE

    window, store = open_window(qtbot, analysed_db)
    try:
        pid = create_playlist(store, "Unheard", {"conditions": [{"field": "plays", "op": "<", "value": 1}]})
        panel = window.playlists
        window.tabs.setCurrentWidget(panel)
        panel.refresh(select=pid)
        shown = panel.tracks.count()
        heard = int(panel.tracks.item(0).data(ID_ROLE + 1))  # the track's id
        assert shown > 1
        window.tabs.setCurrentIndex(0)  # the Library, where the track is played to its end
        play = start_play(store, heard, "library", duration=100.0)
        close_play(store, play, outcome="completed", seconds_listened=100.0)
        window.tabs.setCurrentWidget(panel)
        assert panel.tracks.count() == shown - 1
        listed = {int(panel.tracks.item(i).data(ID_ROLE + 1)) for i in range(shown - 1)}
        assert heard not in listed
    finally:
        close_window(window, store)
