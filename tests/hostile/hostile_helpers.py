"""Running the real CLI against hostile input, and what a clean failure looks like."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def encore(*args: str, env: dict | None = None, timeout: float = 60, prefix: list[str] | None = None, **kw):
    """Run the real CLI in a subprocess; returns the CompletedProcess (text, stdout+stderr apart)."""
    return subprocess.run(
        [*(prefix or []), sys.executable, str(REPO / "main.py"), *args],
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        **{"cwd": REPO, **kw},
    )


def assert_clean_failure(result, *needles: str, code: int = 1) -> None:
    """No traceback, the expected exit code, and each needle in the message."""
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    assert result.returncode == code, out
    for needle in needles:
        assert needle in out, out
