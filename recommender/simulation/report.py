"""The evaluation table as text, and the trade-off plot (matplotlib, imported only when drawing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recommender.simulation.metrics import METRICS

HEADERS = {
    "skip_rate": "skip rate",
    "found_per_session": "found/session",
    "log_share": "from log",
    "coherence": "coherence",
    "distinct_artists": "artists",
    "longest_streak": "streak",
}


def _cell(m: dict[str, float], digits: int) -> str:
    return f"{m['mean']:.{digits}f} [{m['low']:.{digits}f}, {m['high']:.{digits}f}]"


def table_text(result: dict[str, Any]) -> str:
    """One line per policy: each metric's mean and 95% bootstrap interval."""
    digits = {"distinct_artists": 1, "longest_streak": 2, "found_per_session": 2}
    rows = [["policy"] + [HEADERS[m] for m in METRICS]]
    for name, metrics in result["policies"].items():
        rows.append([name] + [_cell(metrics[m], digits.get(m, 3)) for m in METRICS])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    return "\n".join(lines)


def table_markdown(result: dict[str, Any]) -> str:
    digits = {"distinct_artists": 1, "longest_streak": 2, "found_per_session": 2}
    head = "| policy | " + " | ".join(HEADERS[m] for m in METRICS) + " |"
    sep = "|---|" + "---|" * len(METRICS)
    body = [
        f"| {name} | " + " | ".join(_cell(ms[m], digits.get(m, 3)) for m in METRICS) + " |"
        for name, ms in result["policies"].items()
    ]
    return "\n".join([head, sep, *body])


def plot(result: dict[str, Any], path: str | Path, skip: tuple[str, ...] = ("disliked",)) -> Path:
    """Skip rate against liked-unplayed found per session, one point per policy with its 95%
    intervals on both axes, coloured by coherence."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in result["policies"] if n not in skip]
    pol = result["policies"]
    x = [pol[n]["skip_rate"]["mean"] for n in names]
    y = [pol[n]["found_per_session"]["mean"] for n in names]
    c = [pol[n]["coherence"]["mean"] for n in names]
    fig, ax = plt.subplots(figsize=(7.5, 5.0), dpi=120)
    for n, xi, yi in zip(names, x, y, strict=True):
        xe = [[xi - pol[n]["skip_rate"]["low"]], [pol[n]["skip_rate"]["high"] - xi]]
        ye = [[yi - pol[n]["found_per_session"]["low"]], [pol[n]["found_per_session"]["high"] - yi]]
        ax.errorbar(xi, yi, xerr=xe, yerr=ye, fmt="none", ecolor="0.6", lw=1, zorder=1)
    if names and all(n.startswith("encore@") for n in names):  # the dial's steps: one curve, in order
        ax.plot(x, y, "-", color="0.5", lw=1, zorder=0)
    sc = ax.scatter(x, y, c=c, cmap="viridis", s=70, zorder=2, edgecolors="k")
    placed: list[tuple[float, float]] = []  # labels already drawn: a neighbour's label goes lower
    span_x = (max(x) - min(x)) or 1.0
    span_y = (max(y) - min(y)) or 1.0
    for n, xi, yi in sorted(zip(names, x, y, strict=True), key=lambda t: -t[2]):
        near = sum(abs(xi - px) < 0.06 * span_x and abs(yi - py) < 0.08 * span_y for px, py in placed)
        placed.append((xi, yi))
        ax.annotate(
            n,
            (xi, yi),
            textcoords="offset points",
            xytext=(6, 5 - 11 * near),
            fontsize=8,
            weight="bold" if n == "encore" else "normal",
        )
    fig.colorbar(sc, ax=ax, label="coherence with the seed (held-out co-listening)")
    ax.set_xlabel("skip rate (lower is better)")
    ax.set_ylabel("liked-but-unplayed artists found per session")
    dial = bool(names) and all(n.startswith("encore@") for n in names)
    ax.set_title(
        f"{'The familiar <-> new dial' if dial else 'Radio policies'}, {result['listeners']} simulated listeners x {result['sessions_per_listener']} "
        f"sessions (95% intervals)",
        fontsize=9,
    )
    ax.margins(x=0.15, y=0.08)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
