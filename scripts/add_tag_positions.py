"""Add the catalogue's tag vocabulary, placed in factor space, to an existing factor bundle.

    .venv/bin/python scripts/add_tag_positions.py resources/factors/lastfm2k-wmf.npz ../shared/data/lastfm-2k

Why: bundles built before the tag positions existed (the shipped one) keep their factors bit for bit;
this folds in the bundle's own tag pseudo-listener rows (``recommender.training.pretrain.tag_positions``,
what ``encore pretrain`` now does for new bundles) and names them from the data's ``tags.dat``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.factors.bundle import read_bundle, save_bundle  # noqa: E402
from recommender.training.data import load_tag_row_names  # noqa: E402
from recommender.training.pretrain import tag_positions  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path, folder = Path(argv[0]), Path(argv[1])
    bundle = read_bundle(path)
    names = load_tag_row_names(folder, bundle.item_ids, None, int(bundle.hyper.get("tag_min_artists", 5)))
    bundle.bridge.update(tag_positions(bundle, names))
    save_bundle(bundle, path)
    print(f"{path}: {len(names)} tags placed in the factor space")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
