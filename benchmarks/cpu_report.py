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


def run_measured(cmd: list[str], **kw) -> tuple[float, float | None, str, object]:
    """Run ``cmd`` as a whole process: (wall s, CPU s of its whole process tree or None, how, result).

    CPU comes from a fresh cgroup (cgroup v1 cpuacct, or v2) that the process starts in, so every
    descendant counts: multiprocessing's forkserver workers are not children of the command, and its
    rusage (like ``/usr/bin/time``) misses them. Without permission to make a cgroup, None.
    """
    import subprocess
    import time
    import uuid
    from pathlib import Path

    group, usage = None, None
    for base, file in (("/sys/fs/cgroup/cpuacct", "cpuacct.usage"), ("/sys/fs/cgroup/unified", "cpu.stat")):
        try:
            d = Path(base) / f"encore-bench-{uuid.uuid4().hex[:8]}"
            d.mkdir()
            group, usage = d, d / file
            break
        except OSError:
            continue

    def join() -> None:
        if group is not None:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    t = time.perf_counter()
    try:
        result = subprocess.run(cmd, preexec_fn=join if group else None, **kw)
        wall = time.perf_counter() - t
        cpu, how = None, "no cgroup permitted: CPU of the process tree not measured"
        if usage is not None:
            text = usage.read_text()
            if usage.name == "cpuacct.usage":
                cpu = int(text) / 1e9
            else:
                cpu = int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6
            how = f"cgroup {usage.parent.parent.name}"
    finally:
        if group is not None:
            try:
                group.rmdir()
            except OSError:
                pass
    return wall, cpu, how, result
