"""The ONNX Runtime engine computes what the PyTorch model computes, is the CPU default, and refuses a
damaged or tampered .onnx file like the .pt weights are refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recommender.audio import engine as eng
from recommender.audio.analyze import AnalysisSettings, analyze_file, prepare_track
from recommender.audio.weights import ONNX_SHA256, file_sha256

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "musicnn_parity.npz"


@pytest.fixture(scope="module")
def real_patches(corpus_files: list[Path]) -> np.ndarray:
    """The patches ``analyze`` feeds the CNN, from real tracks of every corpus style (and a short one)."""
    picks = []
    for style in ("wesnoth", "muldjord", "hyperrogue", "drascula"):
        picks += [f for f in corpus_files if style in str(f)][:2]
    patches = [prepare_track(0, str(f)).patches for f in picks]
    assert all(p is not None and len(p) for p in patches)
    return np.concatenate(patches)


@pytest.fixture(scope="module")
def engines() -> tuple[eng.Engine, eng.Engine]:
    return eng.load_engine("cpu", "onnx", threads=1), eng.load_engine("cpu", "torch", threads=1)


def test_onnx_matches_torch_on_real_tracks(real_patches, engines):
    onnx, torch_engine = engines
    assert onnx.name == "onnx" and torch_engine.name == "torch"
    pen_o, tags_o = onnx.run(real_patches)
    pen_t, tags_t = torch_engine.run(real_patches)
    assert tags_o.shape == tags_t.shape == (len(real_patches), 50) and len(real_patches) >= 40
    assert np.abs(tags_o - tags_t).max() <= 1e-4
    assert np.abs(pen_o - pen_t).max() <= 1e-3
    assert (np.argsort(-tags_o, axis=1)[:, :5] == np.argsort(-tags_t, axis=1)[:, :5]).all()


def test_onnx_matches_the_original_tensorflow_outputs(engines):
    from recommender.audio import features as fx

    with np.load(FIXTURE, allow_pickle=False) as z:
        mel16, ref_tags = z["mel16"], z["tags"]
    _, tags = engines[0].run(fx.log_compress(mel16))
    assert np.abs(tags - ref_tags).max() <= 1e-4


def test_batching_does_not_change_results(real_patches):
    one = eng.load_onnx(threads=1, batch=1).run(real_patches[:12])
    many = eng.load_onnx(threads=1, batch=12).run(real_patches[:12])
    assert np.abs(one[1] - many[1]).max() <= 1e-5 and np.abs(one[0] - many[0]).max() <= 1e-4
    empty = eng.load_onnx(threads=1).run(real_patches[:0])
    assert empty[0].shape == (0, 200) and empty[1].shape == (0, 50)


def test_engine_selection(monkeypatch):
    monkeypatch.delenv("ENCORE_MUSICNN_WEIGHTS", raising=False)
    assert eng.choose_engine("cpu") == "onnx"
    assert eng.choose_engine("cuda") == "torch"
    assert eng.choose_engine("cpu", "torch") == "torch"
    with pytest.raises(eng.ModelError, match="CPU only"):
        eng.choose_engine("cuda", "onnx")
    with pytest.raises(ValueError):
        eng.choose_engine("cpu", "tensorflow")
    monkeypatch.setenv("ENCORE_MUSICNN_WEIGHTS", "/somewhere/custom.pt")
    assert eng.choose_engine("cpu") == "torch"  # the .onnx is exported from the shipped weights only
    monkeypatch.delenv("ENCORE_MUSICNN_WEIGHTS")
    monkeypatch.setattr(eng, "onnxruntime_available", lambda: False)
    assert eng.choose_engine("cpu") == "torch"


def test_analysis_on_the_cpu_does_not_import_torch(corpus_files):
    """The default CPU path never loads torch (start-up time and ~200 MB of memory)."""
    code = (
        "import sys; from recommender.audio.analyze import analyze_file; "
        f"r = analyze_file({str(corpus_files[0])!r}); "
        "print(r.embedding.shape, 'torch' in sys.modules, 'onnxruntime' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split()[-3:] == ["(200,)", "False", "True"], out.stdout + out.stderr


def test_both_engines_store_the_same_analysis(corpus_files):
    path = str(next(f for f in corpus_files if "wesnoth" in str(f)))
    settings = AnalysisSettings(windows=4)
    a = analyze_file(path, engine=eng.load_engine("cpu", "onnx", 1), settings=settings)
    b = analyze_file(path, engine=eng.load_engine("cpu", "torch", 1), settings=settings)
    assert a.windows == b.windows == 4
    assert np.abs(a.tags - b.tags).max() <= 1e-4 and np.abs(a.embedding - b.embedding).max() <= 1e-3
    assert a.tempo == b.tempo and a.loudness == b.loudness


@pytest.mark.parametrize("how", ["flipped", "truncated", "missing"])
def test_a_tampered_onnx_file_is_refused(tmp_path, monkeypatch, how):
    bad = tmp_path / "msd_musicnn.onnx"
    data = bytearray(eng.ONNX_PATH.read_bytes())
    if how == "flipped":
        data[len(data) // 2] ^= 0xFF
        bad.write_bytes(bytes(data))
    elif how == "truncated":
        bad.write_bytes(bytes(data[:100_000]))
    monkeypatch.setenv("ENCORE_MUSICNN_ONNX", str(bad))
    with pytest.raises(eng.ModelError, match="tampered|cannot read") as info:
        eng.load_engine("cpu", "onnx")
    assert "analysis is off" in str(info.value)
    assert file_sha256(eng.ONNX_PATH) == ONNX_SHA256


def test_a_tampered_onnx_file_turns_analysis_off_in_the_cli(corpus_store, tmp_path):
    bad = tmp_path / "msd_musicnn.onnx"
    data = bytearray(eng.ONNX_PATH.read_bytes())
    data[1000] ^= 0x01
    bad.write_bytes(bytes(data))
    db = tmp_path / "encore.db"
    corpus_store.checkpoint()
    shutil.copyfile(corpus_store.path, db)
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "analyze", "--db", str(db), "--limit", "1", "--quiet"],
        env={**os.environ, "ENCORE_MUSICNN_ONNX": str(bad)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 2 and "Traceback" not in out and "analysis is off" in out, out


def _library_analysis(files: list[Path], tmp_path: Path, name: str, settings: AnalysisSettings):
    from player.library import scan
    from player.store import Store
    from player.store.analysis import load_analysis_matrix, load_descriptors
    from player.store.tracks import iter_tracks
    from recommender.audio.analyze import analyze_library

    with Store.open(tmp_path / f"{name}.db") as store:
        scan(store, [str(f) for f in files], workers=1)
        summary = analyze_library(store, settings=settings, progress=False)
        ids, emb, tags = load_analysis_matrix(store)
        paths = {t["id"]: t["path"] for t in iter_tracks(store)}
        desc = load_descriptors(store)
    order = np.argsort([paths[int(i)] for i in ids])
    loud = [desc[int(i)]["loudness"] for i in ids[order]]
    return summary, emb[order], tags[order], loud


def test_the_cnn_in_the_workers_stores_what_the_main_process_would(corpus_files, tmp_path):
    """The three schedules (CNN in each worker, CNN here over the workers' patches, torch here) store
    the same analysis."""
    files = [f for f in corpus_files if "wesnoth" in str(f)][:3] + [
        f for f in corpus_files if "drascula" in str(f)
    ][:2]
    runs = {
        "workers": AnalysisSettings(windows=3, workers=2),
        "main": AnalysisSettings(windows=3, workers=1, cnn_in_workers=False),
        "torch": AnalysisSettings(windows=3, workers=1, engine="torch"),
    }
    out = {name: _library_analysis(files, tmp_path, name, s) for name, s in runs.items()}
    assert out["workers"][0].engine == "onnx in workers" and out["workers"][0].workers == 2
    assert out["main"][0].engine == "onnx" and out["torch"][0].engine == "torch"
    assert out["workers"][0].timings["cnn"] > 0 and out["workers"][0].timings["cnn_wall"] == 0
    for name in ("main", "torch"):
        assert out[name][0].analyzed == out["workers"][0].analyzed == len(files)
        assert np.abs(out[name][1] - out["workers"][1]).max() <= 1e-3, name
        assert np.abs(out[name][2] - out["workers"][2]).max() <= 1e-4, name
        assert out[name][3] == out["workers"][3], name
