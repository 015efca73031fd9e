"""Every recommender subcommand, one module per group, each with ``register(sub, common)`` (listed in
``main.COMMAND_MODULES``); heavy imports happen inside the functions that run a command, so building
the parser stays cheap. The top floor of ``recommender``: it may import any package below.
"""
