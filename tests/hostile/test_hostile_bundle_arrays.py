"""Factor bundles damaged in ways the first round did not check (issue 27, item 11), each crafted from
the shipped bundle: ``bridge_items`` out of range, ``bridge_weights`` cut to 3 rows, ``item_factors``
all 1e38, NaN ``train_counts``, negative ``popularity``. Each is refused at load: the radio and
``similar`` warn and go on from audio alone; For you and ``recommend`` (built on the bundle's factor
space) say which file and why and exit 2. Never a traceback, never ``nan`` scores."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import main
from recommender.factors.bundle_check import BundleError
from recommender.factors.bundle_file import default_bundle_path, read_bundle

DAMAGES = ("bridge_items", "bridge_weights", "huge_factors", "nan_counts", "negative_popularity")


def _damage(out: Path, how: str) -> Path:
    with np.load(default_bundle_path(), allow_pickle=False) as z:
        arrays = {name: z[name].copy() for name in z.files}
    n = len(arrays["names"])
    if how == "bridge_items":
        arrays["bridge_items"][:5] = n + 1000
    elif how == "bridge_weights":
        arrays["bridge_weights"] = arrays["bridge_weights"][:3]
    elif how == "huge_factors":
        arrays["item_factors"][:] = 1e38
    elif how == "nan_counts":
        arrays["train_counts"][::7] = np.nan
    elif how == "negative_popularity":
        arrays["popularity"][::3] = -5
    np.savez(out, **arrays)
    return out


@pytest.fixture(scope="module")
def damaged(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("damaged-bundles")
    return {how: _damage(folder / f"{how}.npz", how) for how in DAMAGES}


@pytest.fixture(scope="module")
def played_db(analyzed_corpus_db, tmp_path_factory) -> Path:
    """The analysed corpus with a few completed plays, so For you and ``recommend`` fold a taste in."""
    from player.store import Store
    from player.store.plays import close_play, start_play

    db = tmp_path_factory.mktemp("played") / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    with Store.open(db) as store:
        rows = store.conn.execute("SELECT id, duration FROM tracks ORDER BY id LIMIT 12").fetchall()
        now = time.time() - 3600
        for i, (track_id, duration) in enumerate(rows):
            play = start_play(store, track_id, "s1", duration=duration, started_at=now + i * 300)
            close_play(store, play, outcome="completed", position=duration, seconds_listened=duration)
        store.checkpoint()
    return db


@pytest.mark.parametrize("how", DAMAGES)
def test_each_damage_is_refused_at_load(damaged, how):
    with pytest.raises(BundleError):
        read_bundle(damaged[how])


@pytest.mark.parametrize("how", DAMAGES)
def test_commands_warn_and_work_from_audio_alone(damaged, played_db, how, monkeypatch, capsys, tmp_path):
    db = tmp_path / "encore.db"
    shutil.copyfile(played_db, db)
    monkeypatch.setenv("ENCORE_FACTORS", str(damaged[how]))
    runs = {
        "radio": ["radio", "--db", str(db), "--n", "5", "--no-analyze", "Timothy Pinkham - Victory"],
        "similar": ["similar", "--db", str(db), "--track", "Timothy Pinkham - Victory"],
    }
    for name, argv in runs.items():
        code = main.main(argv)
        out = capsys.readouterr()
        text = out.out + out.err
        assert code == 0, (name, text)
        assert "nan" not in out.out.lower().split(), (name, text)
        assert "refused" in text or name != "radio", (name, text)  # the warning is printed once per process
    for argv in (["for-you", "--db", str(db), "--n", "5"], ["recommend", "--db", str(db)]):
        code = main.main(argv)
        out = capsys.readouterr()
        assert code == 2 and str(damaged[how]) in out.err, (argv, out)
        assert "Traceback" not in out.out + out.err
