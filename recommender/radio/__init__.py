"""The radio: an endless station from a seed track that adapts to skips.

``station`` (``Station``: plain arrays in, track ids out) with ``fit``, ``scoring``, ``enjoy`` and
``planning``; ``settings`` (every number a user could want to change); ``library`` (``RadioLibrary``,
the library as arrays); ``load`` (``load_library(store)``, the fast start-up loader), ``inputs`` (the
taste and distinctive tags it adds) and ``cache`` (its start-up cache beside the database).
Imports ``taste``, ``factors``, the ground floor and ``player``.
"""
