"""Encore's recommender: audio analysis, pretrained factors, fold-in, radio and similar artists.

Heavy libraries (torch, librosa, implicit, scipy) are imported inside the functions that need them,
so importing this package costs nothing at app start-up.
"""
