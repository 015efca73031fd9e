"""Fit the pruned EASE weights for an existing factor bundle and write them beside it.

    .venv/bin/python scripts/add_ease.py resources/factors/lastfm2k-wmf.npz

Why: the shipped bundle keeps its factors bit for bit (it is rebuilt on its own); EASE only needs the
bundle's anonymised training rows, so it is fitted from them (``recommender.training.ease.attach_ease``,
what ``encore pretrain`` does for new bundles) and saved as ``lastfm2k-ease.npz``
(``recommender.factors.ease.ease_path_for``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.factors.bundle_file import read_bundle  # noqa: E402
from recommender.factors.ease import ease_path_for, save_ease  # noqa: E402
from recommender.training.ease import attach_ease  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    bundle = read_bundle(argv[0])
    attach_ease(bundle)
    weights, meta = bundle.ease
    out = save_ease(ease_path_for(argv[0]), weights, bundle.item_ids, meta)
    print(f"{out}: {weights.nnz} EASE weights, {out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
