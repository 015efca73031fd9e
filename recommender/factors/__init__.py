"""The shipped collaborative model at run time: the bundle file (``bundle``), the fold-in of a user's
plays (``foldin``), artist matching of a library (``match``), the audio-to-factor bridge (``bridge``) and
the scorer that blends WMF and RP3beta (``scorer``).

No training code is imported from here (``recommender.training`` builds bundles); imports only
``audio``-free ground-floor modules and ``player``.
"""
