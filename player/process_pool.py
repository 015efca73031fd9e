"""Helpers shared by the worker pools of scan (tag reading) and analysis (decoding)."""

from __future__ import annotations


def stop_workers(pool: object) -> None:
    """Terminate a ``ProcessPoolExecutor``'s worker processes now (an interrupted run must not wait
    for a worker to finish its file or chunk)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.terminate()
        except (OSError, AttributeError, ValueError):
            pass
