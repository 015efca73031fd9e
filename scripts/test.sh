#!/usr/bin/env bash
# Runs Encore's whole test suite: installs what is missing, fetches the real-music corpus, runs pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -k scan).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --no-start
export ENCORE_CORPUS="${ENCORE_CORPUS:-$HOME/.cache/encore/corpus}"
scripts/fetch_corpus.sh "$ENCORE_CORPUS"
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
