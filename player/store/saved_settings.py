"""Settings kept as one JSON object under a key of the store's ``state`` table: the app's, playback's and
ListenBrainz's each are a dataclass saved this way.

One reading for all of them: keys this version does not know are dropped (settings written by another
version still load) and a missing, damaged or foreign value gives the defaults instead of an error.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, TypeVar

from player.store.core import Store

T = TypeVar("T")


def load_settings(store: Store, key: str, cls: type[T]) -> T:
    """The ``cls`` saved under ``key``, or ``cls()`` where none is saved or it cannot be read."""
    raw = store.get_state(key)
    if not raw:
        return cls()
    try:
        data = json.loads(raw)
    except ValueError:
        return cls()
    if not isinstance(data, dict):
        return cls()
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except (TypeError, ValueError):  # a value a class's own checks (``__post_init__``) refuse
        return cls()


def save_settings(store: Store, key: str, settings: Any) -> None:
    """Keep ``settings`` (a dataclass) under ``key``."""
    store.set_state(key, json.dumps(dataclasses.asdict(settings), sort_keys=True))
