"""The radio: an endless station from a seed track that adapts to skips.

``station`` (``Station``: plain arrays in, track ids out) with ``fit``, ``scoring``, ``enjoy`` and
``planning``; ``settings`` (every number a user could want to change); ``library`` (``RadioLibrary``,
the library as arrays, numbered by ``codes``); ``load`` (``load_library(store)``, the fast start-up
loader), ``inputs`` (the taste and distinctive tags it adds), ``cache`` and ``stored`` (its start-up
cache beside the database) and ``append`` (tracks added since, added to that cache as rows).
Imports ``taste``, ``factors``, the ground floor and ``player``.
"""
