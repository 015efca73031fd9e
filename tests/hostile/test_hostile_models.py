"""Tampered model files: a refused factor bundle leaves radio and similar on audio alone with a
warning; a refused CNN turns analysis off with a message. Never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hostile_helpers import assert_clean_failure, encore

from recommender.factors.bundle_check import BundleError
from recommender.factors.bundle_file import default_bundle_path, read_bundle


def _tamper(out: Path, how: str) -> Path:
    with np.load(default_bundle_path(), allow_pickle=False) as z:
        arrays = {name: z[name] for name in z.files}
    if how == "object":
        arrays["names"] = arrays["names"].astype(object)
    elif how == "missing":
        del arrays["item_factors"]
    elif how == "short":
        arrays["names"] = arrays["names"][:-7]
    elif how == "nan":
        arrays["item_factors"] = arrays["item_factors"].copy()
        arrays["item_factors"][3, 5] = np.nan
    elif how == "truncated":
        np.savez(out, **arrays)
        out.write_bytes(out.read_bytes()[:100_000])
        return out
    np.savez(out, **arrays)  # object arrays are pickled on save, and must be refused on load
    return out


@pytest.fixture(scope="module")
def bad_bundles(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bundles")
    return {
        how: _tamper(folder / f"{how}.npz", how) for how in ("object", "missing", "short", "nan", "truncated")
    }


@pytest.mark.parametrize("how", ["object", "missing", "short", "nan", "truncated"])
def test_a_tampered_bundle_is_refused_at_load(bad_bundles, how):
    with pytest.raises(BundleError):
        read_bundle(bad_bundles[how])


def test_radio_and_similar_run_on_audio_alone_with_a_refused_bundle(
    bad_bundles, analyzed_corpus_db, tmp_path
):
    db = tmp_path / "encore.db"
    shutil.copyfile(analyzed_corpus_db, db)
    env = {"ENCORE_FACTORS": str(bad_bundles["nan"])}
    radio = encore("radio", "--db", str(db), "--n", "5", "--no-analyze", "Timothy Pinkham - Victory", env=env)
    assert_clean_failure(radio, "refused", "audio alone", code=0)
    assert radio.stdout.count("\n") >= 6  # the header and five tracks
    similar = encore("similar", "--db", str(db), "--track", "Timothy Pinkham - Victory", env=env)
    assert_clean_failure(similar, "no usable factor bundle", "Sounds like", code=0)
    recommend = encore("recommend", "--db", str(db), "--bundle", str(bad_bundles["short"]))
    assert_clean_failure(recommend, "names has", code=2)


def test_a_tampered_cnn_turns_analysis_off_with_a_message(corpus_store, tmp_path):
    from recommender.audio.model import WEIGHTS_PATH

    weights = tmp_path / "msd_musicnn.pt"
    data = bytearray(WEIGHTS_PATH.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    db = tmp_path / "encore.db"
    corpus_store.checkpoint()
    shutil.copyfile(corpus_store.path, db)
    env = {"ENCORE_MUSICNN_WEIGHTS": str(weights)}
    result = encore("sounds-like", "--db", str(db), "Timothy Pinkham - Victory", env=env)
    assert_clean_failure(result, "tampered", "analysis is off")
    result = encore("analyze", "--db", str(db), "--limit", "1", env=env)
    assert_clean_failure(result, "analysis is off", code=2)
