"""Audio analysis: decode windows of a file, log-mel features, MSD_musicnn (PyTorch, or ONNX Runtime on
the CPU) -> embedding, 50 tag probabilities and descriptors, saved through ``player.store.analysis``.

``weights`` (resource paths, hashes, ``ModelError``) is below both ``model`` and ``engine``; ``analyze``
is the pipeline (workers, progress). Imports only the ground floor and ``player``.
"""
