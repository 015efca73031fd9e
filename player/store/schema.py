"""The SQLite schema as an ordered list of forward migrations.

Each migration moves the database from version ``n`` to ``n + 1`` and runs inside one transaction
together with the ``schema_version`` bump, so a crash mid-migration leaves the previous version intact.
Never edit a released migration; append a new one.
"""

from __future__ import annotations

_V1_INITIAL = """
        CREATE TABLE tracks (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            mtime REAL NOT NULL,
            duration REAL,
            artist TEXT,
            album_artist TEXT,
            album TEXT,
            title TEXT,
            track_number INTEGER,
            disc_number INTEGER,
            year INTEGER,
            genre TEXT,
            mb_track_id TEXT,
            mb_artist_id TEXT,
            mb_album_id TEXT,
            mb_album_artist_id TEXT,
            format TEXT,
            bitrate INTEGER,
            sample_rate INTEGER,
            channels INTEGER,
            rg_track_gain REAL,
            rg_track_peak REAL,
            rg_album_gain REAL,
            rg_album_peak REAL,
            tags_from_path INTEGER NOT NULL DEFAULT 0,
            added_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            missing INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX tracks_artist ON tracks(artist COLLATE NOCASE);
        CREATE INDEX tracks_album ON tracks(album_artist COLLATE NOCASE, album COLLATE NOCASE);
        CREATE INDEX tracks_added ON tracks(added_at);

        CREATE TABLE scan_errors (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            message TEXT NOT NULL,
            at REAL NOT NULL
        );

        CREATE TABLE plays (
            id INTEGER PRIMARY KEY,
            track_id INTEGER NOT NULL REFERENCES tracks(id),
            session_id TEXT NOT NULL,
            started_at REAL NOT NULL,
            ended_at REAL,
            updated_at REAL NOT NULL,
            seconds_listened REAL NOT NULL DEFAULT 0,
            duration REAL,
            position REAL NOT NULL DEFAULT 0,
            outcome TEXT CHECK (outcome IN ('completed', 'skipped', 'stopped', 'error')),
            source TEXT NOT NULL DEFAULT 'library',
            seed TEXT,
            first_in_session INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX plays_track ON plays(track_id);
        CREATE INDEX plays_started ON plays(started_at);
        CREATE INDEX plays_open ON plays(outcome) WHERE outcome IS NULL;

        CREATE TABLE queue_entries (
            id INTEGER PRIMARY KEY,
            position INTEGER NOT NULL,
            track_id INTEGER NOT NULL REFERENCES tracks(id),
            source TEXT NOT NULL DEFAULT 'library',
            seed TEXT
        );
        CREATE INDEX queue_position ON queue_entries(position);

        CREATE TABLE state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        CREATE TABLE analysis (
            track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
            model_version TEXT NOT NULL,
            embedding BLOB NOT NULL,
            tags BLOB NOT NULL,
            tempo REAL,
            loudness REAL,
            brightness REAL,
            energy REAL,
            windows INTEGER,
            analyzed_at REAL NOT NULL
        );
        CREATE INDEX analysis_model ON analysis(model_version);

        CREATE TABLE analysis_errors (
            track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
            model_version TEXT NOT NULL,
            message TEXT NOT NULL,
            at REAL NOT NULL
        );
"""

_V2_TRACK_STATS = """
        CREATE VIEW track_stats AS
        SELECT track_id,
               COUNT(*) AS play_count,
               SUM(outcome = 'completed') AS completions,
               SUM(outcome = 'skipped') AS skips,
               SUM(seconds_listened) AS seconds_listened,
               MAX(started_at) AS last_played
        FROM plays
        GROUP BY track_id;
"""

# Love (+1) and ban (-1) of tracks and artists (player/store/ratings.py); playlists, static (entries)
# or smart (rules as JSON data, never SQL text: player/store/playlists.py, player/store/smart.py).
_V3_RATINGS_PLAYLISTS = """
        CREATE TABLE track_ratings (
            track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
            rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
            rated_at REAL NOT NULL
        );
        CREATE TABLE artist_ratings (
            artist_key TEXT PRIMARY KEY,
            artist TEXT NOT NULL,
            rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
            rated_at REAL NOT NULL
        );
        CREATE TABLE playlists (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            rules TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX playlists_name ON playlists(name COLLATE NOCASE);
        CREATE TABLE playlist_entries (
            id INTEGER PRIMARY KEY,
            playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE
        );
        CREATE INDEX playlist_entries_order ON playlist_entries(playlist_id, position);
"""

# A change counter over what the start-up caches (``recommender.radio.cache``) are derived from: the
# tracks, their analyses and (until v8) the ratings (loves, bans). Every insert, update or delete of a row there
# adds one, in the same transaction, whoever writes it (this app, a scan, the sqlite3 shell), so the
# cache key is one O(1) read instead of a scan of 100 MB of analyses. ``uid`` names this database, so a
# new library at the same path never matches an old cache. Plays do not count: they change nothing cached.
_V4_LIBRARY_CHANGES = """
        CREATE TABLE library_changes (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            uid TEXT NOT NULL,
            n INTEGER NOT NULL
        );
        INSERT INTO library_changes (id, uid, n) VALUES (1, lower(hex(randomblob(16))), 0);
""" + "".join(
    f"""
        CREATE TRIGGER {table}_changes_{event.lower()} AFTER {event} ON {table}
        BEGIN UPDATE library_changes SET n = n + 1 WHERE id = 1; END;
"""
    for table in ("tracks", "analysis", "track_ratings", "artist_ratings")
    for event in ("INSERT", "UPDATE", "DELETE")
)

# A fifth outcome, 'replaced': the listener put something else in the queue (a mix, a playlist, a radio,
# a file from the command line) while a track played. It is neither a skip nor a completion and teaches
# nothing (player/listening.py). SQLite cannot change a CHECK constraint in place, so the table is
# rebuilt (rows, ids and indexes kept; the view that reads it is dropped and made again).
_PLAYS_COLUMNS = (
    "id, track_id, session_id, started_at, ended_at, updated_at, seconds_listened, duration, position,"
    " outcome, source, seed, first_in_session"
)
_V5_REPLACED_OUTCOME = f"""
        DROP VIEW track_stats;
        CREATE TABLE plays_v5 (
            id INTEGER PRIMARY KEY,
            track_id INTEGER NOT NULL REFERENCES tracks(id),
            session_id TEXT NOT NULL,
            started_at REAL NOT NULL,
            ended_at REAL,
            updated_at REAL NOT NULL,
            seconds_listened REAL NOT NULL DEFAULT 0,
            duration REAL,
            position REAL NOT NULL DEFAULT 0,
            outcome TEXT CHECK (outcome IN ('completed', 'skipped', 'stopped', 'error', 'replaced')),
            source TEXT NOT NULL DEFAULT 'library',
            seed TEXT,
            first_in_session INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO plays_v5 ({_PLAYS_COLUMNS}) SELECT {_PLAYS_COLUMNS} FROM plays;
        DROP TABLE plays;
        ALTER TABLE plays_v5 RENAME TO plays;
        CREATE INDEX plays_track ON plays(track_id);
        CREATE INDEX plays_started ON plays(started_at);
        CREATE INDEX plays_open ON plays(outcome) WHERE outcome IS NULL;
{_V2_TRACK_STATS}"""

# Listening history from elsewhere (ListenBrainz, Spotify, Last.fm exports; player/store/listens.py): one
# row per external listen, owned by the import that brought it (``encore history forget`` removes an
# import with its listens), never a ``plays`` row (no local file needed). ``natural_key`` makes a second
# import of the same file, or an overlapping later export, add nothing: source, time and the normalised
# artist and title. ``track_id`` (a library track) and ``catalogue_item`` (a factor bundle artist) are
# the matches made at import; both may be NULL. The submit queue holds Encore's own finished plays
# waiting to be sent to ListenBrainz (player/listenbrainz/): retried with backoff, never blocking play.
_V6_LISTENS = """
        CREATE TABLE listen_imports (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL CHECK (source IN ('listenbrainz', 'spotify', 'lastfm')),
            file TEXT NOT NULL,
            imported_at REAL NOT NULL,
            first_at REAL,
            last_at REAL,
            listens_read INTEGER NOT NULL DEFAULT 0,
            listens_kept INTEGER NOT NULL DEFAULT 0,
            report TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE listens (
            id INTEGER PRIMARY KEY,
            import_id INTEGER NOT NULL REFERENCES listen_imports(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            listened_at REAL NOT NULL,
            artist TEXT NOT NULL,
            title TEXT,
            album TEXT,
            artist_mbid TEXT,
            recording_mbid TEXT,
            release_mbid TEXT,
            ms_played INTEGER,
            outcome TEXT NOT NULL CHECK (outcome IN ('completed', 'skipped', 'stopped')),
            track_id INTEGER REFERENCES tracks(id) ON DELETE SET NULL,
            catalogue_item TEXT,
            natural_key TEXT NOT NULL UNIQUE
        );
        CREATE INDEX listens_import ON listens(import_id);
        CREATE INDEX listens_track ON listens(track_id);
        CREATE INDEX listens_time ON listens(listened_at);
        CREATE TABLE submit_queue (
            id INTEGER PRIMARY KEY,
            play_id INTEGER UNIQUE REFERENCES plays(id) ON DELETE CASCADE,
            payload TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at REAL NOT NULL,
            last_error TEXT,
            created_at REAL NOT NULL
        );
        CREATE INDEX submit_queue_due ON submit_queue(next_try_at);
"""

# Version 7: artist rating keys re-computed by ``encore_fold`` (``player.store.functions.fold_artist``),
# which now NFKC-normalises before casefolding: a name typed in NFC and tagged in NFD (as macOS writes
# it) was two keys, so a ban missed half the artist's tracks. Rows that now share a key keep the newest.
# Keys move through a temporary value first, so no row briefly takes another's old key.
_V7_ARTIST_KEYS = """
        DELETE FROM artist_ratings WHERE EXISTS (
            SELECT 1 FROM artist_ratings b
            WHERE encore_fold(b.artist) = encore_fold(artist_ratings.artist)
              AND (b.rated_at > artist_ratings.rated_at
                   OR (b.rated_at = artist_ratings.rated_at AND b.rowid > artist_ratings.rowid))
        );
        UPDATE artist_ratings SET artist_key = char(1) || rowid;
        UPDATE artist_ratings SET artist_key = encore_fold(artist);
"""

# Ratings leave the change counter: what the start-up caches derive from a rating is only the banned
# tracks, which the radio's cache names in its key itself and ``similar`` applies per query, so a love or
# a ban no longer throws away the derived arrays of the whole library (issue 25, item 1).
_V8_RATINGS_UNCOUNTED = "".join(
    f"""
        DROP TRIGGER IF EXISTS {table}_changes_{event.lower()};"""
    for table in ("track_ratings", "artist_ratings")
    for event in ("INSERT", "UPDATE", "DELETE")
)

# Version 9: untagged files named as today's scan names them (``player.naming``, issue 26 item 3): no
# folder name stands for an artist ("games", "scummvm" become "Unknown artist (<album folder>)"), and
# titles from file names are cleaned ("track19" -> "Track 19", with its track number). Their mtime is
# cleared so the next scan reads them again (a tag the names hid, several title values): until then the
# names above are what every view shows. Only files named from their path (``tags_from_path``) change.
_V9_UNTAGGED_NAMES = """
        UPDATE tracks SET title = encore_file_title(title) WHERE tags_from_path = 1 AND title IS NOT NULL;
        UPDATE tracks SET track_number = CAST(substr(title, 7) AS INTEGER)
            WHERE tags_from_path = 1 AND track_number IS NULL AND title GLOB 'Track [0-9]*'
              AND substr(title, 7) NOT GLOB '*[^0-9]*';
        UPDATE tracks SET artist = encore_untagged_artist(path, artist, album)
            WHERE tags_from_path = 1 AND COALESCE(album_artist, '') = '';
        UPDATE tracks SET mtime = 0 WHERE tags_from_path = 1;
"""

# Version 10: a log of which tracks changed, beside the change counter (issue 25, item 1). The counter says
# *that* something changed; the log says *which* tracks, so the radio's start-up cache can add a new album's
# rows to its arrays instead of recomputing 100k. Triggers write it, whoever writes the tables. ``what``:
# 'added', 'changed', 'removed' (a track row), 'analysed', 'unanalysed' (its analysis). It is trimmed to
# its newest rows (``player.store.changes.trim_log``); ``library_log_floor`` keeps the highest ``seq``
# trimmed away, so a cache older than that knows the log cannot tell it everything. Idempotent, as a
# re-run after a rolled-back version number (tests do this) must not fail.
_V10_LIBRARY_LOG = """
        CREATE TABLE IF NOT EXISTS library_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            track_id INTEGER NOT NULL,
            what TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS library_log_floor (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO library_log_floor (id, seq) VALUES (1, 0);
        CREATE TRIGGER IF NOT EXISTS tracks_log_insert AFTER INSERT ON tracks
        BEGIN INSERT INTO library_log (track_id, what) VALUES (NEW.id, 'added'); END;
        CREATE TRIGGER IF NOT EXISTS tracks_log_update AFTER UPDATE ON tracks
        BEGIN INSERT INTO library_log (track_id, what) VALUES (OLD.id, 'changed');
              INSERT INTO library_log (track_id, what) SELECT NEW.id, 'changed' WHERE NEW.id != OLD.id; END;
        CREATE TRIGGER IF NOT EXISTS tracks_log_delete AFTER DELETE ON tracks
        BEGIN INSERT INTO library_log (track_id, what) VALUES (OLD.id, 'removed'); END;
        CREATE TRIGGER IF NOT EXISTS analysis_log_insert AFTER INSERT ON analysis
        BEGIN INSERT INTO library_log (track_id, what) VALUES (NEW.track_id, 'analysed'); END;
        CREATE TRIGGER IF NOT EXISTS analysis_log_update AFTER UPDATE ON analysis
        BEGIN INSERT INTO library_log (track_id, what) VALUES (NEW.track_id, 'analysed');
              INSERT INTO library_log (track_id, what) SELECT OLD.track_id, 'unanalysed'
              WHERE NEW.track_id != OLD.track_id; END;
        CREATE TRIGGER IF NOT EXISTS analysis_log_delete AFTER DELETE ON analysis
        BEGIN INSERT INTO library_log (track_id, what) VALUES (OLD.track_id, 'unanalysed'); END;
"""

# Version 11: titles indexed without case, so a seed typed as its exact title ("encore radio 'Song 4242'")
# is found by a look-up, not a scan of every title (1.6 s at a million tracks; issue 25, item 2).
_V11_TITLE_INDEX = """
        CREATE INDEX IF NOT EXISTS tracks_title ON tracks(title COLLATE NOCASE);
"""

# Version 12: the log says what changed of a track, not only that a row was updated (issue 25, item 1): a
# file flagged missing ('gone') or back ('back'), moved ('moved': its path), or retagged ('changed': a
# column the recommender reads of it, ``RECOMMENDER_COLUMNS``). A rescan that rewrote only the rest (size,
# mtime, bitrate, ReplayGain) logs nothing, so the radio's start-up cache keeps every row; a missing flag is
# a mask over its rows, a move re-places at most one unknown artist (whose folder names are read). An id
# changed in place (no code does it) logs 'changed' under both ids, as before.
RECOMMENDER_COLUMNS = (
    "artist", "album_artist", "album", "genre", "duration", "title", "mb_artist_id", "mb_album_artist_id",
)  # fmt: skip
_V12_WHAT_CHANGED = f"""
        DROP TRIGGER IF EXISTS tracks_log_update;
        CREATE TRIGGER IF NOT EXISTS tracks_log_changed AFTER UPDATE ON tracks
        WHEN NEW.id != OLD.id OR {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in RECOMMENDER_COLUMNS)}
        BEGIN INSERT INTO library_log (track_id, what) VALUES (OLD.id, 'changed');
              INSERT INTO library_log (track_id, what) SELECT NEW.id, 'changed' WHERE NEW.id != OLD.id; END;
        CREATE TRIGGER IF NOT EXISTS tracks_log_moved AFTER UPDATE OF path ON tracks
        WHEN NEW.path IS NOT OLD.path AND NEW.id = OLD.id
        BEGIN INSERT INTO library_log (track_id, what) VALUES (NEW.id, 'moved'); END;
        CREATE TRIGGER IF NOT EXISTS tracks_log_missing AFTER UPDATE OF missing ON tracks
        WHEN NEW.missing IS NOT OLD.missing AND NEW.id = OLD.id
        BEGIN INSERT INTO library_log (track_id, what)
              VALUES (NEW.id, CASE WHEN NEW.missing THEN 'gone' ELSE 'back' END); END;
"""

# Version 13: where a first scan keeps the tracks table's secondary indexes while it fills the table without
# them (``player.store.bulk_load``): their SQL, to build them again at its end, or at the first open after
# the scan's process (``owner``, ``player.store.process_owner``) ended without doing it. So a later migration
# must not count on those indexes being there (``DROP INDEX IF EXISTS``, never ``INDEXED BY``).
_V13_DEFERRED_INDEXES = """
        CREATE TABLE IF NOT EXISTS deferred_indexes (name TEXT PRIMARY KEY, sql TEXT NOT NULL, owner TEXT NOT NULL);
"""

# Version n is reached by applying MIGRATIONS[n - 1], a script of SQL statements. Append only.
MIGRATIONS: list[str] = [
    _V1_INITIAL,
    _V2_TRACK_STATS,
    _V3_RATINGS_PLAYLISTS,
    _V4_LIBRARY_CHANGES,
    _V5_REPLACED_OUTCOME,
    _V6_LISTENS,
    _V7_ARTIST_KEYS,
    _V8_RATINGS_UNCOUNTED,
    _V9_UNTAGGED_NAMES,
    _V10_LIBRARY_LOG,
    _V11_TITLE_INDEX,
    _V12_WHAT_CHANGED,
    _V13_DEFERRED_INDEXES,
]

SCHEMA_VERSION = len(MIGRATIONS)
