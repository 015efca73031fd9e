"""Encore's player core: library scanning, the SQLite store, playback, queue and listening log.

Nothing in this package imports Qt; it is usable and tested without a screen.
"""
