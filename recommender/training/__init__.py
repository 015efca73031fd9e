"""Offline only: everything that builds or judges a factor bundle, never imported by the app at run time.

``data`` (Last.fm 2k and MSD Taste Profile readers, ``Interactions``), ``als`` (the recipe: WMF with
tag rows, ``train_without`` for held-out users), ``spark_als`` (the same on Spark), ``bridge_fit`` (the audio-to-factor bridge), ``pretrain`` (the
``encore pretrain`` pipeline), ``heldout`` (``encore evaluate``), ``similar_eval`` (``encore evaluate-similar``).
Imports ``factors``, ``similar`` and the ground floor.
"""
