"""The start-up cache's code key cannot miss a file: it is derived from whole packages, and every project
module that the radio and ``similar`` loaders run lies inside them; editing any of those modules (in a
temporary copy of the tree) changes the key, so an old cache is never read by new code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.disk_cache import ROOT
from recommender.radio.cache import CODE, code_version

# Run the loaders from scratch (no cache) on an analysed library with the shipped bundle and a ban,
# then list every module of this tree they imported.
_PROBE = """
import json, os, sys
os.environ["ENCORE_NO_CACHE"] = "1"
from player.store import Store
from player.store.ratings import BAN, rate_artist
from player.store.tracks import track_columns
from recommender.radio.load import load_library
from recommender.similar.index import SimilarIndex
from recommender.similar.prewarm import prewarm

root = os.path.realpath(sys.argv[2])
with Store.open(sys.argv[1]) as store:
    artist = next(a for _, a in track_columns(store, ("id", "artist")) if a)
    rate_artist(store, artist, BAN)
    library = load_library(store)
    assert len(library) > 0 and library.audio is not None and library.factors is not None
    SimilarIndex.from_store(store).artist(artist, 5)
    prewarm(store)
files = sorted(
    os.path.relpath(os.path.realpath(m.__file__), root)
    for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and os.path.realpath(m.__file__).startswith(root + os.sep)
)
print(json.dumps(files))
"""


def _covered(path: str) -> bool:
    def under(c: str) -> bool:
        if c.endswith("*.py"):
            return path.rsplit("/", 1)[0] == c.rsplit("/", 1)[0]
        return path == c or path.startswith(c.rstrip("/") + "/")

    return any(under(c) for c in CODE)


@pytest.fixture(scope="module")
def loader_modules(analyzed_corpus_db: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    db = tmp_path_factory.mktemp("cache-key") / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(db), str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_module_the_loaders_run_is_in_the_key(loader_modules):
    project = [m for m in loader_modules if m.startswith(("player/", "recommender/"))]
    assert "recommender/radio/load.py" in project and "recommender/similar/index.py" in project
    assert "player/store/analysis.py" in project and "recommender/factors/bridge.py" in project
    missing = [m for m in project if not _covered(m)]
    assert missing == [], f"modules the loaders run but the cache key does not hash: {missing}"


def test_editing_any_loader_module_changes_the_key(loader_modules, tmp_path):
    project = [m for m in loader_modules if m.startswith(("player/", "recommender/"))]
    tree = tmp_path / "tree"
    for top in ("player", "recommender"):
        shutil.copytree(ROOT / top, tree / top, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_version(tree)
    assert before == code_version(ROOT)  # the copy hashes as the real tree does
    for i, module in enumerate(project):
        edited = tmp_path / f"edit{i}"
        shutil.copytree(tree, edited)
        with open(edited / module, "a", encoding="utf-8") as f:
            f.write("\n# an edit\n")
        assert code_version(edited) != before, module
        shutil.rmtree(edited)


def test_a_new_module_in_a_keyed_package_changes_the_key(tmp_path):
    tree = tmp_path / "tree"
    for top in ("player", "recommender"):
        shutil.copytree(ROOT / top, tree / top, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_version(tree)
    grown = tmp_path / "grown"  # another folder: the digest is computed once per tree and process
    shutil.copytree(tree, grown)
    (grown / "recommender" / "radio" / "new_part.py").write_text('"""A new part of the loader."""\n')
    assert code_version(grown) != before
