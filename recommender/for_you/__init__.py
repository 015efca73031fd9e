"""The For you view: under-played tracks and albums and artists to discover, each with its reason
(``lists``), and the stored 30-track Discover mix built from them (``mix``). Imports ``similar``,
``taste``, ``factors``, the ground floor and ``player``.
"""
