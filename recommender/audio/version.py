"""The version stamp stored with every analysis: a change re-analyses every track (and nothing else).

Kept free of heavy imports so the store and the UI can ask for it cheaply. Bump ``PIPELINE_VERSION``
when the preprocessing, the window layout or the stored statistics change in a way that makes old rows
incomparable with new ones; ``WEIGHTS_SHA256`` changes with the converted weights themselves. ``ONNX_SHA256`` only guards the
exported file that ONNX Runtime loads (same outputs within 1e-6, so not part of the stamp).
"""

from __future__ import annotations

#: The ONNX export of those weights (scripts/export_musicnn_onnx.py); the engine, not the analysis, changes.
ONNX_SHA256 = "a30658febd09895f2931c93e9de4f02e5e2d41b19d83329611b77df283a41ec5"
WEIGHTS_SHA256 = "672c85d65fb7a7bbfc9ec7ec1016236c8c2324745a3c8b05f8583f1b61a3cdac"
PIPELINE_VERSION = 1

MODEL_VERSION = f"msd_musicnn-{WEIGHTS_SHA256[:12]}-p{PIPELINE_VERSION}"
