#!/usr/bin/env bash
# Takes a real screenshot of Encore's main window under Xvfb: the real-music corpus scanned and
# analysed (cached in ~/.cache/encore/screenshot/), a radio playing (silent audio output).
# Writes docs/screenshot-library.png, screenshot-albums.png, screenshot.png (a radio playing),
# screenshot-taste.png (the "Your taste" tab), screenshot-problems.png (the Problems view) and
# screenshot-playlists.png (the Playlists tab), screenshot-smart.png (a smart playlist's rules) and
# screenshot-import.png (the summary after importing a small listening history made by the script).
# Usage: scripts/screenshot.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
export ENCORE_CORPUS="${ENCORE_CORPUS:-$HOME/.cache/encore/corpus}"
scripts/fetch_corpus.sh "$ENCORE_CORPUS" >/dev/null
export ENCORE_AUDIO_OUTPUT=adummy
unset QT_QPA_PLATFORM
exec xvfb-run --auto-servernum --server-args="-screen 0 1600x1000x24" \
    .venv/bin/python scripts/screenshot.py --corpus "$ENCORE_CORPUS" --out "${1:-docs}" "${@:2}"
