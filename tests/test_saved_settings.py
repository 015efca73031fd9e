"""Settings saved as JSON in the store's state: unknown keys are dropped, and a damaged, foreign or
refused value gives the defaults instead of an error (one reading for the app's, playback's and
ListenBrainz's settings)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from player.store import Store
from player.store.saved_settings import load_settings, save_settings


@dataclass
class Knobs:
    volume: int = 100
    name: str = "x"

    def __post_init__(self) -> None:
        self.volume = int(self.volume)  # "loud" raises ValueError, as a real class's checks do


@pytest.mark.parametrize(
    "raw", [None, "", "{not json", "[1, 2]", "null", '{"volume": "loud"}', '{"volume": {"a": 1}}']
)
def test_a_missing_damaged_or_refused_value_gives_the_defaults(tmp_path, raw):
    with Store.open(tmp_path / "encore.db") as store:
        if raw is not None:
            store.set_state("knobs", raw)
        assert load_settings(store, "knobs", Knobs) == Knobs()


def test_saved_settings_come_back_and_unknown_keys_are_dropped(tmp_path):
    with Store.open(tmp_path / "encore.db") as store:
        save_settings(store, "knobs", Knobs(volume=40, name="quiet"))
        assert load_settings(store, "knobs", Knobs) == Knobs(40, "quiet")
        store.set_state("knobs", '{"volume": 7, "from_a_newer_version": true}')
        assert load_settings(store, "knobs", Knobs) == Knobs(7, "x")
