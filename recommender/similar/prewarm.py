"""Fill the start-up caches of the radio and of ``similar`` ahead of time.

Why here: it builds both the radio's library (``recommender.radio.load``) and the ``SimilarIndex``, and
``similar/`` is the floor above ``radio/``, so this is the lowest room that may call both. ``analyze``
(the CLI and the app's background job) calls it when it changed the analysis, so the next radio or
``similar`` starts warm instead of paying for it.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def prewarm(store: Any) -> bool:
    """Compute and keep the start-up caches now; False if they could not be (or caching is off)."""
    from recommender import disk_cache
    from recommender.radio import cache

    if not disk_cache.enabled() or cache.cache_dir(store) is None:
        return False
    from player.store.changes import trim_log
    from recommender.radio.load import load_library
    from recommender.similar.index import SimilarIndex

    try:
        load_library(store, taste=False)
        SimilarIndex.from_store(store)
        trim_log(store)  # an analysis of the whole library logs every track; the caches now hold them all
    except Exception:  # a cache is an optimisation: never fail the command that asked for it
        log.warning("the start-up caches could not be prepared", exc_info=True)
        return False
    return True
