"""The only owner of Encore's SQLite schema and SQL.

``core`` opens the database and migrates it; one module per group of tables holds the SQL for them
(``tracks`` and ``scan_errors`` for the scanner, ``plays`` for the listening log, ``queue`` for the
play queue, ``analysis`` for audio analysis, ``submit`` for the ListenBrainz submit queue). Other
packages call these functions, never SQL.
"""

from player.store.core import Store, StoreError, data_home, default_db_path

__all__ = ["Store", "StoreError", "data_home", "default_db_path"]
