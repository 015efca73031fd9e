"""Shaping what plays by sound: search by mood words (``mood``) and a smooth path between two songs
(``path``). Imports ``radio``, the ground floor and ``player``.
"""
