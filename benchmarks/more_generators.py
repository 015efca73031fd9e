"""Two more candidate generators for the taste model, alone and added to the shipped blend:
resources/factors/README.md "What each step bought". Validation users only (``factor_validation``, never
the test users), folded into a model trained without them, split seeds 0-1 (``--seeds``), mean
Recall@20 / Recall@50 / NDCG@100.

- **infinite-width autoencoder** (∞-AE, Sachdeva et al., NeurIPS 2022): kernel ridge regression over the
  training rows (listeners and tag pseudo-listeners, played = 1) with the neural tangent kernel of a
  one-hidden-layer ReLU network; closed form, one n_rows² inverse.
- **Mult-VAE** (Liang et al., WWW 2018): a variational autoencoder with a multinomial likelihood,
  600-200-600 tanh layers, input dropout 0.5, KL weight annealed to 0.2, Adam 1e-3, batches of 128.

Why: both are model families that lead on some public benchmarks and that the search had not tried; both
see the same rows as EASE. Neither is shipped (resources/factors/README.md has the figures).

Usage: .venv/bin/python benchmarks/more_generators.py [--lam 1,3] [--epochs 100] [--weight 0.25,0.5,1]
About 20 s for the autoencoder (one WMF fit, one EASE inverse), 5 minutes for Mult-VAE (CPU torch).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.ranking import zscore  # noqa: E402
from recommender.training.heldout import evaluate_matrix, load_folder, trained_without  # noqa: E402


def ntk(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """Neural tangent kernel of a one-hidden-layer ReLU network between the rows of ``a`` and ``b``."""
    g = np.asarray((a @ b.T).todense(), dtype=np.float64)
    na = np.sqrt(np.asarray(a.multiply(a).sum(axis=1)).ravel())[:, None]
    nb = np.sqrt(np.asarray(b.multiply(b).sum(axis=1)).ravel())[None, :]
    norms = np.maximum(na * nb, 1e-12)
    cos = np.clip(g / norms, -1.0, 1.0)
    theta = np.arccos(cos)
    nngp = norms / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * cos)
    return g * (np.pi - theta) / (2 * np.pi) + nngp


class InfiniteAE:
    """∞-AE: scores = k(user, rows) · (K + λ·mean(diag K)·I)⁻¹ · rows."""

    def __init__(self, rows: sp.csr_matrix, lam: float) -> None:
        self.rows = rows
        k = ntk(rows, rows)
        k[np.diag_indices_from(k)] += lam * float(np.mean(np.diag(k)))
        self.dual = np.linalg.inv(k)

    def __call__(self, given: sp.csr_matrix) -> np.ndarray:
        x = (sp.csr_matrix(given) > 0).astype(np.float64)
        return np.asarray((ntk(x, self.rows) @ self.dual) @ self.rows)


class MultVAE:
    """Mult-VAE trained on the rows; scores are the decoder's logits for the user's played artists."""

    def __init__(self, rows: sp.csr_matrix, epochs: int, seed: int = 0) -> None:
        import torch

        torch.manual_seed(seed)
        n = rows.shape[1]
        self.torch = torch
        self.enc = torch.nn.Sequential(torch.nn.Linear(n, 600), torch.nn.Tanh(), torch.nn.Linear(600, 400))
        self.dec = torch.nn.Sequential(torch.nn.Linear(200, 600), torch.nn.Tanh(), torch.nn.Linear(600, n))
        params = [*self.enc.parameters(), *self.dec.parameters()]
        opt = torch.optim.Adam(params, lr=1e-3)
        x_all = torch.from_numpy(rows.toarray().astype(np.float32))
        drop = torch.nn.Dropout(0.5)
        steps, step = epochs * -(-len(x_all) // 128), 0
        gen = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            for idx in torch.randperm(len(x_all), generator=gen).split(128):
                x = x_all[idx]
                mu, logvar = self.enc(drop(torch.nn.functional.normalize(x, dim=1))).chunk(2, dim=1)
                z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
                nll = -(torch.log_softmax(self.dec(z), dim=1) * x).sum(dim=1).mean()
                kl = (-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)).mean()
                loss = nll + min(0.2, 0.2 * step / (0.8 * steps)) * kl
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1

    def __call__(self, given: sp.csr_matrix) -> np.ndarray:
        torch = self.torch
        x = torch.from_numpy((sp.csr_matrix(given) > 0).astype(np.float32).toarray())
        with torch.no_grad():
            mu, _ = self.enc(torch.nn.functional.normalize(x, dim=1)).chunk(2, dim=1)
            return self.dec(mu).numpy().astype(np.float64)


class Added:
    """The shipped blend plus ``weight`` x the z-scored generator (the way EASE joined it)."""

    def __init__(self, model: Any, extra: Any, weight: float) -> None:
        self.model, self.extra, self.weight = model, extra, weight

    def __call__(self, given: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self.model(given)) + self.weight * zscore(self.extra(given), axis=1)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lam", default="1,3", help="∞-AE ridge weights ('' to skip)")
    ap.add_argument("--epochs", type=int, default=100, help="Mult-VAE epochs (0 to skip)")
    ap.add_argument("--weight", default="0.25,0.5,1")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--folder", default="../shared/data/lastfm-2k")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    bundle, held = trained_without(load_folder(args.folder), "validation")  # the shipped model
    rows = (sp.csr_matrix(bundle.train_matrix) > 0).astype(np.float64)  # listeners and tag rows
    generators: dict[str, Any] = {
        f"∞-AE λ={lam}": InfiniteAE(rows, float(lam)) for lam in args.lam.split(",") if lam
    }
    if args.epochs > 0:
        generators[f"Mult-VAE {args.epochs} epochs"] = MultVAE(rows, args.epochs)
    scorers: dict[str, Any] = {"shipped": bundle.model}
    for name, gen in generators.items():
        scorers[f"{name} alone"] = gen
        for w in [float(x) for x in args.weight.split(",")]:
            scorers[f"shipped + {w:g} {name}"] = Added(bundle.model, gen, w)
    result = evaluate_matrix(scorers, held, seeds)["mean"]
    print(f"{'variant':<36} {'R@20':>7} {'R@50':>7} {'NDCG@100':>8}")
    for name, m in result.items():
        print(f"{name:<36} {m['recall@20']:7.4f} {m['recall@50']:7.4f} {m['ndcg@100']:8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
