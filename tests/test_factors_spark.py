"""``pretrain --engine spark`` on a real local Spark (Java from Debian, pyspark from the registry).

One small ``local[2]`` session is shared by the module. Every check is real: bundles trained by Spark
from the shared files, written and loaded without pickle, serving ``similar`` and ``recommend``, and
Recall@20 on the developers' validation users (``heldout.validate``) within 0.01 of the ``implicit``
engine under the same config. Last.fm runs a smaller model than the shipped one (k 16, 5 iterations)
to stay fast; the MSD fragment's recall check runs the shipped config (see that test). The full-size
comparison on both is ``benchmarks/pretrain_scaling.py --recall``.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from mutagen.oggvorbis import OggVorbis

from main import main
from player.library import scan
from player.store import Store
from player.store.feedback import track_credits
from player.store.plays import close_play, start_play
from recommender.factors.bundle_file import load_bundle, save_bundle
from recommender.training import data, msd
from recommender.training.als import PretrainConfig
from recommender.training.heldout import validate

REPO = Path(__file__).resolve().parent.parent
LASTFM = REPO.parent / "shared" / "data" / "lastfm-2k"
MSD = REPO.parent / "shared" / "data" / "msd-fragments"
TRIPLETS, METADATA = MSD / "taste_profile_fragment.txt", MSD / "msd_subset_song_data.csv"

SMALL = replace(PretrainConfig(), factors=16, iterations=5, use_gpu=False)


@pytest.fixture(scope="module")
def spark():
    from recommender.training.spark_als import spark_session

    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "4"})
    yield session
    session.stop()


def _trainer(spark, source, paths):
    from recommender.training.spark_als import SparkTrainer

    return SparkTrainer(source, [str(p) for p in paths], spark=spark)


def test_reg_param_mapping_and_confidence_fallback(spark):
    """The regularisation mapping, and the exact-Python fallback of the confidence gives the same ratings."""
    from recommender.training.spark_als import item_factor_scale, spark_reg_param

    # Equal counts (10 rows x 40 items, every row rates 20, every item 5): Spark's penalties
    # λ'·20 and λ'·5 rescaled by s are implicit's flat λ on both sides.
    lam, rows_, items_, nnz = 5.0, 10, 40, 200
    reg, s = spark_reg_param(lam, rows_, items_, nnz), item_factor_scale(rows_, items_)
    assert reg * 20 * s**2 == pytest.approx(lam) and reg * 5 / s**2 == pytest.approx(lam)
    with pytest.raises(ValueError):
        spark_reg_param(5.0, 1, 1, 0)
    trainer = _trainer(spark, "msd", [TRIPLETS])
    counts = [1.0, 2.0, 3.0, 5.0, 13.0, 40.0, 100.0, 954.0, 13176.0]  # real play counts of the files
    rows = spark.createDataFrame(
        [(u, i, c) for u in range(3) for i, c in enumerate(counts)], "row INT, item INT, count DOUBLE"
    )
    sql = {(r.row, r.item): r.rating for r in trainer._with_rating(rows, SMALL).collect()}
    assert trainer._sql_ok == {(SMALL.alpha, SMALL.eps): True}
    trainer._sql_ok[(SMALL.alpha, SMALL.eps)] = False  # as if the implicit path's function had changed
    exact = {(r.row, r.item): r.rating for r in trainer._with_rating(rows, SMALL).collect()}
    assert sql.keys() == exact.keys() and len(sql) == 3 * len(counts)
    np.testing.assert_allclose([sql[k] for k in sql], [exact[k] for k in sql], rtol=1e-12)
    counts = {(r.row, r.item): r["count"] for r in rows.collect()}
    want = SMALL.alpha * np.log1p(np.array([counts[k] for k in sql]) / SMALL.eps)
    np.testing.assert_allclose([sql[k] for k in sql], want, rtol=1e-9)


@pytest.mark.slow
def test_msd_fragment_bundle_serves_and_recall_matches_implicit(spark, tmp_path):
    """Song level, the shipped config (k 64, 15 iterations; at k 16 the fragment's 326 validation
    users are too few to tell the engines apart from their seeds: implicit alone moves by 0.008).

    One Spark fit: the validation run's bundle (trained without the validation users) is saved,
    loaded and queried, and scored on the validation users as ``heldout.validate`` does."""
    from recommender.evaluation import evaluate_scorers, make_split, split_users
    from recommender.training.als import train_without
    from recommender.training.heldout import scorers_for

    config = replace(PretrainConfig(), use_gpu=False)
    inter = msd.load_msd(TRIPLETS, METADATA)
    _, valid_rows = split_users(inter.n_users, config.validation_fraction, config.validation_seed)
    trained, held = train_without(
        inter, valid_rows, config, trainer=_trainer(spark, "msd", [TRIPLETS, METADATA])
    )
    b = load_bundle(save_bundle(trained, tmp_path / "msd-spark.npz"))
    assert b.k == 64 and b.meta["n_users"] == inter.n_users - len(valid_rows) and b.meta["source"] == "msd"
    assert np.isfinite(b.item_factors).all() and (np.linalg.norm(b.item_factors, axis=1) > 0).all()
    # similar: the nearest songs of the most played one, by factor cosine
    top = int(np.argmax(b.popularity))
    sims = b.similar_items(top, 10)
    assert len(sims) == 10 and top not in [i for i, _ in sims]
    assert [s for _, s in sims] == sorted((s for _, s in sims), reverse=True) and -1 <= sims[-1][1] <= 1
    # recommend: a training listener's fold-in ranks their own songs far above the rest
    user = b.user_matrix[0]
    scores = b.model.score(user.indices, user.data)
    assert scores.shape == (b.n_items,) and np.isfinite(scores).all()
    assert np.mean(scores[user.indices]) > np.percentile(scores, 99)
    # Recall@20 on the developers' validation users, against the implicit engine's
    results = evaluate_scorers(scorers_for(b), make_split(held, 0.8, config.validation_seed))
    spark_recall = round(results["model"]["recall@20"], 4)
    implicit = validate(inter, config)["model"]["recall@20"]
    assert spark_recall > results["popularity"]["recall@20"]
    assert abs(spark_recall - implicit) <= 0.01, (spark_recall, implicit)


@pytest.fixture(scope="module")
def lastfm_spark_bundle(spark, tmp_path_factory):
    """The real subcommand: ``pretrain --engine spark`` (it reuses the module's running session)."""
    out = tmp_path_factory.mktemp("spark") / "lastfm-spark.npz"
    argv = ["pretrain", "--engine", "spark", "--master", "local[2]", "--source", "lastfm2k", str(LASTFM),
            "--out", str(out), "--factors", "16", "--iterations", "5", "--cpu"]  # fmt: skip
    assert main(argv) == 0
    assert not spark.sparkContext._jsc.sc().isStopped()  # not stopped by the command: not its session
    return out


def test_lastfm_bundle_recall_matches_implicit(lastfm_spark_bundle):
    b = load_bundle(lastfm_spark_bundle)
    assert b.meta["engine"] == "spark" and b.meta["n_tag_rows"] > 0 and b.meta["source"] == "lastfm2k"
    inter = data.load_lastfm2k(LASTFM)
    inter.extra["folder"] = str(LASTFM)
    assert b.n_items == inter.n_items and b.user_matrix.nnz == inter.matrix.nnz
    implicit = validate(inter, SMALL)["model"]["recall@20"]
    spark_recall = b.meta["validation"]["model"]["recall@20"]
    assert spark_recall > b.meta["validation"]["popularity"]["recall@20"]
    assert abs(spark_recall - implicit) <= 0.01, (spark_recall, implicit)


def test_lastfm_bundle_serves_similar_and_recommend(
    lastfm_spark_bundle, corpus_dir, tmp_path, monkeypatch, capsys
):
    """The app's own commands over a real scanned library, with the Spark bundle as the factors."""
    b = load_bundle(lastfm_spark_bundle)
    artists = ["Radiohead", "Metallica", "Britney Spears"]
    folder = tmp_path / "music"
    folder.mkdir()
    files = sorted((corpus_dir / "wesnoth-1.16-music").rglob("*.ogg"))[:3]
    for n, (src, artist) in enumerate(zip(files, artists, strict=True)):
        target = folder / f"{n}.ogg"
        shutil.copy(src, target)
        tags = OggVorbis(target)
        tags["artist"] = artist
        tags.save()
    db = tmp_path / "encore.db"
    with Store.open(db) as store:
        scan(store, [folder])
        radiohead = [c.track_id for c in track_credits(store) if c.artist == "Radiohead"]
        for n, t in enumerate(radiohead * 3):
            play_id = start_play(store, t, "test", duration=200.0, started_at=time.time() - 3600 + n)
            play_id = play_id[0] if isinstance(play_id, tuple) else play_id
            close_play(store, play_id, outcome="completed", seconds_listened=200.0, ended_at=time.time())
    monkeypatch.setenv("ENCORE_FACTORS", str(lastfm_spark_bundle))
    assert main(["similar", "Radiohead", "--n", "10", "--json", "--db", str(db)]) == 0
    out = json.loads(capsys.readouterr().out)
    names = [a["name"] for a in out["artists"]]
    assert out["known"] == "bundle" and len(names) == 10 and "Radiohead" not in names
    assert (
        main(["recommend", "--n", "5", "--json", "--bundle", str(lastfm_spark_bundle), "--db", str(db)]) == 0
    )
    rec = json.loads(capsys.readouterr().out)
    assert {r["artist"] for r in rec["in_library"]} <= set(artists)
    assert rec["in_library"][0]["artist"] == "Radiohead"
    assert all(r["why"] == ["Radiohead"] for r in rec["discoveries"])
    assert len(rec["discoveries"]) == 5 and not {r["artist"] for r in rec["discoveries"]} & set(artists)
    assert b.meta["hyperparameters"]["factors"] == 16


def test_cli_engine_spark_errors(tmp_path, capsys):
    """Bad input fails with a message before any Spark session starts."""
    out = tmp_path / "x.npz"
    argv = ["pretrain", "--engine", "spark", "--source", "msd", str(tmp_path / "nope.txt"), "--out", str(out)]
    assert main(argv) == 2 and "nope.txt" in capsys.readouterr().err
    argv = ["pretrain", "--engine", "spark", "--spark-conf", "novalue", "--source", "lastfm2k", str(LASTFM),
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 2 and "KEY=VALUE" in capsys.readouterr().err
    assert not out.exists()
