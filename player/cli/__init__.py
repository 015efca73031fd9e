"""The player's subcommands (scan, play, stats, love/ban, playlists, smart playlists), one module per
group with ``register(sub, common)``, and ``common`` (opening the store, argument types, printing) that
the recommender's commands use too. The top floor of ``player``.
"""
