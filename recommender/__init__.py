"""Encore's recommender, in packages by job; every import points down this list (top floor first):

- ``cli``: every recommender subcommand (``register(sub, common)``); heavy imports inside ``run``;
- ``simulation``: simulated listeners, baselines and metrics (``evaluate-radio``);
- ``training``: offline only: data readers, the ALS recipe (implicit, Spark), held-out evaluation;
- ``for_you``, ``shaping``: the For you lists and the Discover mix; mood search and paths;
- ``similar``: fans also like and sounds like, and filling the start-up caches;
- ``radio``: the station, its planning and scoring, its library loader and start-up cache;
- ``taste``: the user's state: the fold-in of plays, what to hear next, the taste map;
- ``factors``: the shipped model at run time: bundle, fold-in, match, audio bridge, scorer;
- ``audio``: decoding, features, the CNN and its engines, the analysis pipeline;
- ground floor: ``ranking`` (the one z-score, top-k), ``reasons``, ``evaluation`` (splits, metrics,
  baselines, user groups), ``disk_cache`` (derived arrays kept on disk), ``csr`` (sparse rows without
  scipy).

Any of them may import ``player`` (the store, the library); ``player`` never imports them. Heavy libraries
(torch, librosa, implicit, scipy) are imported inside the functions that need them, so importing this
package costs nothing at app start-up.
"""
