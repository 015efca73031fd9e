"""A line shared by the latency benchmarks: CPU time per step next to wall time."""

from __future__ import annotations

import os


def print_cpu(ms, threads: int) -> None:
    """CPU time per step: on a busy machine wall time counts the waits for a core, CPU time does not
    (with one BLAS thread it is what the step takes on an idle core)."""
    import numpy as np

    print(
        f"  CPU time per step: p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms "
        f"({threads} BLAS thread{'s' if threads > 1 else ''}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores)"
    )
