"""Does windowed analysis keep similarity quality? Windowed vs full-track neighbours on the corpus.

For every corpus file, the full-track reference runs MSD_musicnn on every non-overlapping 3-s patch;
the windowed analysis is what ``analyze`` does (N windows spread over the track). For each pooling
statistic, it prints:
  * agreement: mean top-10 overlap between a track's neighbours under windowed and full embeddings
    (cosine, the track itself excluded), over all files and over the music tracks (>= 30 s);
  * style precision@5 for wesnoth / muldjord / hyperrogue-music queries: the share of the 5 nearest
    neighbours (among all files) that come from the same soundtrack.

    .venv/bin/python benchmarks/agreement.py [--corpus DIR] [--windows 2 3 4 6] [--cache DIR]

Full-track outputs are cached (npz) in --cache; the full pass takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.audio.analyze import prepare_track  # noqa: E402

STYLES = {"wesnoth": "wesnoth-1.16-music/", "muldjord": "muldjord/", "hyperrogue": "hyperrogue/music/"}


def per_patch_outputs(model, files: list[Path], **kw) -> list[dict[str, np.ndarray]]:
    import torch

    out = []
    for f in files:
        p = prepare_track(0, str(f), **kw)
        if p.error:
            raise SystemExit(f"{f}: {p.error}")
        with torch.inference_mode():
            o = model.features(torch.from_numpy(p.patches))
        out.append({"pen": o.penultimate.numpy(), "tags": o.tags.numpy(), "mid": o.mean_pool.numpy()})
    return out


def pool(outputs: list[dict[str, np.ndarray]], kind: str) -> np.ndarray:
    def one(o: dict[str, np.ndarray]) -> np.ndarray:
        if kind == "pen-mean":
            return o["pen"].mean(0)
        if kind == "pen-mean+std":
            return np.concatenate([o["pen"].mean(0), o["pen"].std(0)])
        if kind == "pen-max":
            return o["pen"].max(0)
        if kind == "tags-mean":
            return o["tags"].mean(0)
        if kind == "midend-mean":
            return o["mid"].mean(0)
        raise ValueError(kind)

    return np.stack([one(o) for o in outputs]).astype(np.float32)


def neighbours(emb: np.ndarray, k: int, standardise: bool = False) -> np.ndarray:
    x = emb.astype(np.float64)
    if standardise:
        x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-12
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    return np.argsort(-sim, axis=1)[:, :k]


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([len(set(x) & set(y)) / len(x) for x, y in zip(a, b, strict=True)])


def style_precision(nn: np.ndarray, labels: list[str | None]) -> dict[str, float]:
    res = {}
    for style in STYLES:
        rows = [i for i, lab in enumerate(labels) if lab == style]
        res[style] = float(np.mean([np.mean([labels[j] == style for j in nn[i]]) for i in rows]))
    return res


def restricted_precision(emb: np.ndarray, labels: list[str | None], k: int = 5) -> dict[str, float]:
    """Style precision@k with neighbours drawn from the three soundtracks only (as the test does)."""
    keep = [i for i, lab in enumerate(labels) if lab is not None]
    return style_precision(neighbours(emb[keep], k), [labels[i] for i in keep])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("ENCORE_CORPUS", Path.home() / ".cache/encore/corpus")),
    )
    parser.add_argument("--windows", type=int, nargs="+", default=[2, 3, 4, 6])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/encore-agreement"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import soundfile as sf
    import torch

    from recommender.audio.model import load_model

    torch.set_num_threads(args.threads)
    model = load_model()
    files = sorted(args.corpus.rglob("*.ogg"))
    labels = [next((s for s, frag in STYLES.items() if frag in str(f)), None) for f in files]
    durations = np.array([sf.info(str(f)).duration for f in files])
    music = durations >= 30

    args.cache.mkdir(parents=True, exist_ok=True)
    cache = args.cache / "full.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            counts = z["counts"]
            split = np.cumsum(counts)[:-1]
            full = [
                {"pen": p, "tags": t, "mid": m}
                for p, t, m in zip(
                    np.split(z["pen"], split),
                    np.split(z["tags"], split),
                    np.split(z["mid"], split),
                    strict=True,
                )
            ]
    else:
        t = time.perf_counter()
        full = per_patch_outputs(model, files, full=True)
        counts = np.array([len(o["pen"]) for o in full])
        np.savez(
            cache, counts=counts, **{k: np.concatenate([o[k] for o in full]) for k in ("pen", "tags", "mid")}
        )
        print(f"full-track pass: {counts.sum()} patches in {time.perf_counter() - t:.0f} s")
    print(
        f"{len(files)} files ({music.sum()} of >= 30 s, {durations.sum() / 60:.0f} min), "
        f"full-track reference {sum(len(o['pen']) for o in full)} patches"
    )

    kinds = ["pen-mean", "pen-mean+std", "pen-max", "midend-mean", "tags-mean"]
    rp = restricted_precision(pool(full, "pen-mean"), labels)
    print(
        "full-track pen-mean: style P@5 among the three soundtracks "
        + " ".join(f"{s} {v:.2f}" for s, v in rp.items())
    )
    print("\nstyle precision@5 (full-track embeddings, neighbours among all files)")
    for kind in kinds:
        for std in (False, True):
            sp = style_precision(neighbours(pool(full, kind), 5, std), labels)
            print(
                f"  {kind:13s} {'standardised' if std else 'raw cosine  '} "
                + " ".join(f"{s} {v:.2f}" for s, v in sp.items())
                + f"  mean {np.mean(list(sp.values())):.3f}"
            )

    for w in args.windows:
        t = time.perf_counter()
        win_cache = args.cache / f"windows{w}.npz"
        if win_cache.exists():
            with np.load(win_cache, allow_pickle=False) as z:
                split = np.cumsum(z["counts"])[:-1]
                parts = {k: np.split(z[k], split) for k in ("pen", "tags", "mid")}
                win = [{k: parts[k][i] for k in parts} for i in range(len(files))]
            speed = "cached"
        else:
            win = per_patch_outputs(model, files, windows=w, patches_per_window=1)
            np.savez(
                win_cache,
                counts=np.array([len(o["pen"]) for o in win]),
                **{k: np.concatenate([o[k] for o in win]) for k in ("pen", "tags", "mid")},
            )
            speed = f"{len(files) / (time.perf_counter() - t):.2f} tracks/s single process"
        rp = restricted_precision(pool(win, "pen-mean"), labels)
        print(f"\nwindows={w}: {sum(len(o['pen']) for o in win)} patches ({speed})")
        print(
            "  stored embedding (pen-mean, raw cosine): style P@5 among the three soundtracks "
            + " ".join(f"{s} {v:.2f}" for s, v in rp.items())
        )
        for kind in kinds:
            for std in (False, True):
                ov = overlap(neighbours(pool(full, kind), 10, std), neighbours(pool(win, kind), 10, std))
                sp = style_precision(neighbours(pool(win, kind), 5, std), labels)
                print(
                    f"  {kind:13s} {'std' if std else 'raw'}  top-10 agreement all {ov.mean():.3f} music {ov[music].mean():.3f}"
                    f"  | style P@5 " + " ".join(f"{s} {v:.2f}" for s, v in sp.items())
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
