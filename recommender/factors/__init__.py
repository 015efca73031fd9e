"""The shipped collaborative model at run time: the bundle's arrays and queries (``bundle``), its file
read, cached and written (``bundle_file``) and refused when damaged (``bundle_check``), the fold-in of a
user's plays (``foldin``), artist matching of a library (``match``), the audio-to-factor bridge and the one
placement of unknown artists (``bridge``), the files' genre words in the bundle's tag vocabulary
(``genre``) and the scorer that blends WMF and RP3beta (``scorer``).

No training code is here or imported from here (``recommender.training`` builds bundles and fits the
bridge); imports only the ground floor and ``player``.
"""
