"""Simulated listeners for the radio: world model, baselines, metrics, runner (``encore evaluate-radio``).

``world``: listeners, libraries and the response model; ``models``: the models policies draw on;
``policies``: Encore's station and the baselines under one set of rules; ``metrics``: coherence and
bootstrap intervals; ``runner``: ``simulate``; ``data``: held-out bundles; ``tune`` and ``calibrate``:
``python -m`` entry points that fit ``RadioSettings`` on the tuning users. Imports ``training``,
``radio`` and below.
"""
