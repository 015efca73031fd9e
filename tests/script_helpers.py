"""Running a small Python script of a test's own in a fresh process, with the repository importable: how
tests reach faults that only a separate process shows (a worker killed half way, an interpreter that
never exits)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_script(
    tmp_path: Path, text: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Write ``text`` to a script under ``tmp_path`` and run it with ``args`` from the repository root;
    stdout and stderr are captured as text. ``timeout`` is a safety net for a run that would hang."""
    script = tmp_path / "script.py"
    script.write_text(text)
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
