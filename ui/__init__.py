"""Encore's Qt user interface: a thin layer over ``player`` and ``recommender``."""
