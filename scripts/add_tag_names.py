"""Name the tag pseudo-listener rows of an existing factor bundle (``bridge_tag_names``).

    .venv/bin/python scripts/add_tag_names.py resources/factors/lastfm2k-wmf.npz ../shared/data/lastfm-2k

Why: the shipped bundle's factors, training rows and bridge stay bit for bit (``encore pretrain`` names
the rows itself when it builds a new bundle, ``recommender.training.pretrain.tag_names_for``); this reads
the tag text of each row from the data's ``tags.dat`` and checks that the rows it would build are the
bundle's own, entry for entry, before writing. It also drops ``bridge_tag_factors``, the stored fold-in
positions of an earlier placement: tag positions are now computed from the rows at run time
(``recommender.factors.genre``). Running it twice gives the same arrays.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.factors.bundle_file import read_bundle, save_bundle  # noqa: E402
from recommender.training.data import load_tag_row_names, load_tag_rows  # noqa: E402
from recommender.training.pretrain import tag_names_for  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path, folder = Path(argv[0]), Path(argv[1])
    bundle = read_bundle(path)
    min_artists = int(bundle.hyper.get("tag_min_artists", 5))
    names = load_tag_row_names(folder, bundle.item_ids, None, min_artists)
    rows = load_tag_rows(folder, bundle.item_ids, None, min_artists)
    first = int(bundle.meta.get("n_user_rows", 0))
    ours = bundle.train_matrix[first:]
    if ours.shape != rows.shape or ((ours != 0) != (rows != 0)).nnz:
        print(f"{path}: its tag rows are not the rows of {folder}'s tags; not written", file=sys.stderr)
        return 1
    bundle.bridge["tag_names"] = tag_names_for(bundle, names)
    bundle.bridge.pop("tag_factors", None)
    save_bundle(bundle, path)
    print(
        f"{path}: {len(names)} tag rows named; {np.count_nonzero(np.char.str_len(names) == 0)} without text"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
