"""Saved radio stations: a station is a value (a name, a prompt in the station language, the
familiar <-> new dial), so saving one is saving those three; starting it again resolves the prompt
against the library as it is then.

Kept as one JSON list in the ``state`` table: a listener keeps a handful, and a list read whole is
simpler than a table. A damaged value reads as no stations (and is replaced at the next save).

API: ``Station``, ``list_stations``, ``find_station``, ``save_station``, ``delete_station``,
``MAX_STATIONS``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from player.store.core import Store
from player.text import fold

STATE_KEY = "radio.stations"
MAX_STATIONS = 200
MAX_NAME = 200


@dataclass(frozen=True)
class Station:
    name: str
    prompt: str
    dial: int = 0


def list_stations(store: Store) -> list[Station]:
    """The saved stations, in the order they were saved."""
    try:
        raw = json.loads(store.get_state(STATE_KEY) or "[]")
        return [
            Station(str(s["name"]), str(s["prompt"]), max(-2, min(2, int(s.get("dial", 0)))))
            for s in raw
            if isinstance(s, dict) and s.get("name") and s.get("prompt")
        ]
    except (ValueError, TypeError, KeyError):
        return []


def find_station(store: Store, name: str) -> Station | None:
    """The saved station called ``name`` (case and Unicode form ignored)."""
    key = fold(name.strip())
    return next((s for s in list_stations(store) if fold(s.name) == key), None)


def save_station(store: Store, name: str, prompt: str, dial: int = 0) -> Station:
    """Save (or replace, by name) a station; ValueError for an empty or too long name, or too many."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"a station needs a name of 1 to {MAX_NAME} characters")
    if not prompt.strip():
        raise ValueError("a station needs a prompt")
    station = Station(name, prompt.strip(), max(-2, min(2, int(dial))))
    kept = [s for s in list_stations(store) if fold(s.name) != fold(name)]
    if len(kept) >= MAX_STATIONS:
        raise ValueError(f"at most {MAX_STATIONS} saved stations: delete one first")
    with store.transaction():
        store.set_state(STATE_KEY, json.dumps([asdict(s) for s in [*kept, station]], ensure_ascii=False))
    return station


def delete_station(store: Store, name: str) -> bool:
    """Delete the station called ``name``; False if there was none."""
    stations = list_stations(store)
    kept = [s for s in stations if fold(s.name) != fold(name.strip())]
    if len(kept) == len(stations):
        return False
    with store.transaction():
        store.set_state(STATE_KEY, json.dumps([asdict(s) for s in kept], ensure_ascii=False))
    return True
