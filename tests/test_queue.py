"""The play queue: editing, cursor and history, repeat, shuffle, notifications and persistence."""

from __future__ import annotations

import random

import pytest

from player.queue import Queue
from player.queue_changes import QueueChange
from player.store import Store
from player.store.tracks import iter_tracks


@pytest.fixture
def ids(copy_corpus_store: Store) -> list[int]:
    return [t["id"] for t in iter_tracks(copy_corpus_store)][:12]


def _tracks(queue: Queue) -> list[int]:
    return [e.track_id for e in queue.entries]


def test_edit_operations_keep_order_and_sources(copy_corpus_store, ids):
    q = Queue(copy_corpus_store)
    a = q.append(ids[:3], source="album")
    assert _tracks(q) == ids[:3] and all(e.source == "album" for e in a)
    q.insert(1, [ids[3]], source="playlist")
    assert _tracks(q) == [ids[0], ids[3], ids[1], ids[2]]
    q.set_current(a[0].id)
    q.play_next([ids[4]])
    assert _tracks(q) == [ids[0], ids[4], ids[3], ids[1], ids[2]]
    q.move(a[2].id, 0)
    assert _tracks(q) == [ids[2], ids[0], ids[4], ids[3], ids[1]]
    assert q.remove([a[1].id, 999_999]) == 1
    assert _tracks(q) == [ids[2], ids[0], ids[4], ids[3]]
    radio = q.append(ids[5:7], source="radio", seed="track:42")
    assert [(e.source, e.seed) for e in radio] == [("radio", "track:42")] * 2
    assert [e.track_id for e in q.upcoming()] == [ids[4], ids[3], ids[5], ids[6]]
    with pytest.raises(ValueError):
        q.append([ids[0]], source="nowhere")
    with pytest.raises(KeyError):
        q.move(999_999, 0)


def test_cursor_history_and_previous(copy_corpus_store, ids):
    q = Queue(copy_corpus_store)
    first = q.replace(ids[:5], source="album")
    assert first.track_id == ids[0] and q.current_index == 0
    assert q.advance().track_id == ids[1]
    assert q.advance().track_id == ids[2]
    jumped = q.set_current(q.entries[4].id)  # the user picks the last entry
    assert jumped.track_id == ids[4]
    assert q.previous().track_id == ids[2]  # back to where the user jumped from
    assert q.previous().track_id == ids[1]
    assert q.previous().track_id == ids[0]
    assert q.previous() is None  # nothing before the first entry
    # At the end of the queue the cursor leaves the list; "previous" comes back to the last entry.
    q.set_current(q.entries[4].id)
    assert q.advance() is None and q.current is None
    assert q.peek_next() is None
    assert q.previous().track_id == ids[4]


def test_removing_the_current_entry_keeps_the_place(copy_corpus_store, ids):
    q = Queue(copy_corpus_store)
    q.replace(ids[:4])
    q.advance()
    q.remove([q.current.id])
    assert q.current is None
    assert q.peek_next().track_id == ids[2]  # what followed the removed entry
    assert q.advance().track_id == ids[2]


def test_a_removal_is_put_back_in_place_with_the_playing_entry_current_again(copy_corpus_store, ids):
    """The Undo of a removal (a walk lost a whole queue to Ctrl+A, Delete): every entry returns to its
    place with its source, the one playing becomes current again, and it all survives a restart."""
    q = Queue(copy_corpus_store)
    entries = q.append(ids[:6], source="album")
    radio = q.append(ids[6:8], source="radio", seed="track:7")
    q.set_current(entries[2].id)
    assert q.take([999_999]) is None
    removal = q.take([entries[0].id, entries[2].id, entries[4].id, radio[1].id])
    assert len(removal) == 4 and removal.current == 1
    assert _tracks(q) == [ids[1], ids[3], ids[5], ids[6]] and q.current is None
    assert q.peek_next().track_id == ids[3]  # the removed current goes on; next is what followed it
    back = q.put_back(removal)
    assert _tracks(q) == ids[:8] and q.current == back[1] and q.current.track_id == ids[2]
    assert [(e.source, e.seed) for e in q.entries][-2:] == [("radio", "track:7")] * 2
    assert q.peek_next().track_id == ids[3]
    assert _tracks(Queue(copy_corpus_store)) == ids[:8]
    assert Queue(copy_corpus_store).current.track_id == ids[2]
    # Everything removed, then another entry chosen before the Undo: that one stays current.
    removal = q.take([e.id for e in q.entries])
    assert len(q) == 0 and removal.current == 2
    chosen = q.append([ids[9]])[0]
    q.set_current(chosen.id)
    q.put_back(removal)
    assert _tracks(q) == [*ids[:8], ids[9]] and q.current == chosen


def test_repeat_modes(copy_corpus_store, ids):
    q = Queue(copy_corpus_store)
    q.replace(ids[:2])
    q.set_repeat("one")
    assert q.peek_next(auto=True).id == q.current.id  # the track ran out: again
    assert q.peek_next(auto=False).track_id == ids[1]  # the user pressed next: move on
    assert q.advance(auto=True).track_id == ids[0]
    q.set_repeat("all")
    q.advance()
    assert q.current.track_id == ids[1]
    assert q.advance().track_id == ids[0]  # wraps around
    with pytest.raises(ValueError):
        q.set_repeat("sometimes")


def test_shuffle_reorders_upcoming_only_and_restores(copy_corpus_store, ids):
    q = Queue(copy_corpus_store, rng=random.Random(3))
    q.replace(ids[:10])
    q.advance()
    q.advance()  # current = ids[2]
    q.set_shuffle(True)
    tracks = _tracks(q)
    assert tracks[:3] == ids[:3]  # played entries and the current one stay
    assert sorted(tracks[3:]) == sorted(ids[3:10]) and tracks[3:] != ids[3:10]
    q.set_shuffle(False)
    assert _tracks(q) == ids[:10]


def test_changes_are_notified(copy_corpus_store, ids):
    q = Queue(copy_corpus_store)
    seen: list[QueueChange] = []
    unsubscribe = q.subscribe(seen.append)
    q.append(ids[:2])
    q.set_current(q.entries[0].id)
    q.set_repeat("all")
    assert [c.kind for c in seen] == ["entries", "current", "modes"]
    unsubscribe()
    q.clear()
    assert len(seen) == 3


def test_queue_survives_reopening_the_database(copy_corpus_store, ids):
    path = copy_corpus_store.path
    q = Queue(copy_corpus_store, rng=random.Random(1))
    q.replace(ids[:6], source="album")
    q.append(ids[6:8], source="radio", seed="track:7")
    q.advance()
    q.set_current(q.entries[4].id)
    q.set_repeat("all")
    q.set_shuffle(True)
    before = (q.entries, q.current, q.repeat, q.shuffle)
    copy_corpus_store.close()

    with Store.open(path) as store:
        again = Queue(store)
        assert (again.entries, again.current, again.repeat, again.shuffle) == before
        assert again.previous().track_id == ids[1]  # the history came back too
        again.set_shuffle(False)
        assert [e.track_id for e in again.entries] == ids[:8]


def test_a_removal_is_not_put_back_into_a_queue_replaced_since(copy_corpus_store, ids):
    """An Undo still on screen after a station replaced the queue must not mix the old entries in."""
    q = Queue(copy_corpus_store)
    q.replace(ids[:4])
    removal = q.take([q.entries[1].id])
    assert q.can_put_back(removal)
    q.replace(ids[4:6], source="radio", seed="track:1")
    assert not q.can_put_back(removal) and q.put_back(removal) == []
    assert _tracks(q) == ids[4:6]
    removal = q.take([q.entries[0].id])
    q.clear()
    assert q.put_back(removal) == [] and len(q) == 0
