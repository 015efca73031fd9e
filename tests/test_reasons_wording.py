"""Issue 26 item 9: the words the app shows are plain English (no Markdown, no letters for tracks, no
raw distances, no "1 tracks", no quoted numbers in smart rules), each produced in one core place."""

from __future__ import annotations

from player.store.smart import describe_rules
from player.text import count_text
from recommender.reasons import (
    path_step_reason,
    sounds_like_reason,
    sounds_like_track_reason,
    station_text,
)


def test_titles_are_quoted_not_wrapped_in_asterisks():
    assert sounds_like_reason("Battle Epic") == "sounds like \u201cBattle Epic\u201d in your library"
    why = sounds_like_track_reason("Battle Epic", "seed", "both calm and piano")
    assert "*" not in why and "\u201cBattle Epic\u201d, the seed" in why


def test_a_path_or_mood_is_not_called_a_radio_from_itself():
    assert station_text("Path to Ryan Reilly – Knalgan Theme") == "Path to Ryan Reilly – Knalgan Theme"
    assert station_text("Wesnoth – Elf Land") == "Radio from Wesnoth – Elf Land"
    assert station_text(None) == "Radio"


def test_a_path_step_says_where_it_is_in_words():
    why = path_step_reason(3, 9, 0.34)
    assert why == "step 3 of 9, about 35% of the way to the destination by sound"
    assert path_step_reason(1, 9, 0.05).endswith("still close to the start by sound")
    assert path_step_reason(8, 9, 0.95).endswith("nearly at the destination by sound")


def test_counts_agree_with_their_number():
    assert count_text(1) == "1 track" and count_text(2) == "2 tracks"
    assert count_text(1, "play") == "1 play" and count_text(0, "play") == "0 plays"


def test_smart_rules_show_numbers_as_numbers_and_text_in_quotes():
    rules = {
        "match": "all",
        "conditions": [
            {"field": "ambient", "op": ">", "value": "0.2"},  # as typed in the rule dialog
            {"field": "genre", "op": "contains", "value": "guitar"},
            {"field": "plays", "op": ">=", "value": 3},
        ],
    }
    assert describe_rules(rules) == "ambient > 0.2 and genre contains \u201cguitar\u201d and plays >= 3"
