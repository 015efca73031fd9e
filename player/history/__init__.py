"""Listening history exported from elsewhere (ListenBrainz, Spotify, Last.fm), read as ``Listen`` records.

``read`` recognises a file's format from its content (never its name), streams it (a multi-hundred-MB
Spotify export in bounded memory) and opens zips; ``formats`` turns each format's entries into
``Listen`` records with the outcome rules documented once there. Storing them is
``player.store.listens``; matching them to the catalogue and folding them into the taste is the
recommender's (``recommender.taste.history``).
"""
