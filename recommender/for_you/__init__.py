"""The For you view: under-played tracks and albums and artists to discover, each with its reason
(``lists``; the library's tracks and albums ranked as arrays, items made when read: ``ranked``), and
the stored 30-track Discover mix built from them (``mix``). Imports ``similar``, ``radio`` (the artist
match kept in its start-up cache), ``taste``, ``factors``, the ground floor and ``player``.
"""
