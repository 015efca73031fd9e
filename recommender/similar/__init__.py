"""Fans also like and sounds like (``index``: ``SimilarIndex``, built on the radio's start-up part; the
answers it gives: ``answers``), support-aware neighbours (``support``),
and filling the radio's and this index's start-up caches (``prewarm``). Imports ``radio`` (its cache),
``taste`` (the bans a query leaves out), ``factors``, the ground floor and ``player``.
"""
