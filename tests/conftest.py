"""Shared fixtures: the real-music corpus and stores built from it.

The corpus is fetched by scripts/fetch_corpus.sh (scripts/test.sh runs it first). A missing corpus
fails the tests loudly instead of skipping them: a skipped test proves nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from player.store import Store

# The factor bundle's derived caches (recommender.radio.cache) go to a folder of this test session, not
# the user's ~/.cache/encore; subprocesses inherit it.
os.environ.setdefault("ENCORE_CACHE", tempfile.mkdtemp(prefix="encore-test-cache-"))

REPO = Path(__file__).resolve().parent.parent
CORPUS_PACKAGES = ("wesnoth-1.16-music", "fretsonfire-songs-muldjord", "hyperrogue-music", "drascula-music")


def _corpus_path() -> Path:
    return Path(os.environ.get("ENCORE_CORPUS", Path.home() / ".cache" / "encore" / "corpus"))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real-music corpus, fetched on first use if scripts/test.sh has not done it yet."""
    path = _corpus_path()
    if not all((path / pkg / ".complete").exists() for pkg in CORPUS_PACKAGES):
        subprocess.run([str(REPO / "scripts" / "fetch_corpus.sh"), str(path)], check=True)
    missing = [pkg for pkg in CORPUS_PACKAGES if not (path / pkg / ".complete").exists()]
    if missing:
        pytest.fail(f"the real-music corpus is incomplete at {path}: {missing}")
    return path


@pytest.fixture(scope="session")
def corpus_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.rglob("*.ogg"))


@pytest.fixture
def tmp_store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "encore.db")
    yield store
    store.close()


@pytest.fixture(scope="session")
def corpus_db_path(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with the whole corpus scanned once per test session."""
    from player.library import scan

    path = tmp_path_factory.mktemp("corpus-db") / "encore.db"
    with Store.open(path) as store:
        summary = scan(store, [corpus_dir])
        assert summary.added > 0 and summary.errors == 0, summary
    return path


@pytest.fixture(scope="session")
def corpus_store(corpus_db_path: Path) -> Store:
    """The scanned corpus; shared by many tests, so treat it as read-only (use ``copy_corpus_store``)."""
    store = Store.open(corpus_db_path)
    yield store
    store.close()


@pytest.fixture
def copy_corpus_store(corpus_db_path: Path, tmp_path: Path) -> Store:
    """A private, writable copy of the scanned corpus database."""
    with Store.open(corpus_db_path) as source:
        source.checkpoint()
    target = tmp_path / "encore.db"
    shutil.copyfile(corpus_db_path, target)
    store = Store.open(target)
    yield store
    store.close()


@pytest.fixture(scope="session")
def analyzed_corpus_db(corpus_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the scanned corpus with the audio analysis run once (CI settings: 3 windows per track).

    Shared by every test that needs embeddings, tags and descriptors; treat it as read-only and copy
    it (``shutil.copyfile``) to write.
    """
    from recommender.audio.analyze import AnalysisSettings, analyze_library

    with Store.open(corpus_db_path) as source:
        source.checkpoint()
    target = tmp_path_factory.mktemp("analyzed-corpus") / "encore.db"
    shutil.copyfile(corpus_db_path, target)
    with Store.open(target) as store:
        summary = analyze_library(store, settings=AnalysisSettings(windows=3, workers=1), progress=False)
        assert summary.analyzed > 150 and summary.failed == 0, summary
        store.checkpoint()
    return target


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real full-disk stage: a 6 MB tmpfs mounted under ``tmp_path`` (root only; CI runs as root).
    ``disk_helpers.fill_disk`` then fills it to the last block."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def session_bus():
    """The address of a private D-Bus session bus (its own dbus-daemon), gone after the test."""
    import signal

    proc = subprocess.run(
        ["dbus-daemon", "--session", "--print-address", "--fork", "--print-pid"],
        capture_output=True,
        text=True,
        check=True,
    )
    address, pid = proc.stdout.split()[:2]
    yield address
    os.kill(int(pid), signal.SIGTERM)
