#!/usr/bin/env bash
# Installs everything Encore needs on a Debian/Ubuntu machine, then starts the app.
#   scripts/install.sh             install (if needed) and start Encore
#   scripts/install.sh --no-start  install only (used by scripts/test.sh)
# Idempotent: a second run checks what is there and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

START=1
[ "${1:-}" = "--no-start" ] && START=0

APT_PACKAGES=(
  libvlc5 libvlc-bin vlc-plugin-base          # playback (python-vlc loads libvlc)
  ffmpeg                                       # tests derive mp3/flac/opus/m4a from the corpus
  xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 libxcb-shape0 libxkbcommon-x11-0 libegl1 libgl1
  libfontconfig1 libdbus-1-3 dbus              # Qt on X11/offscreen, MPRIS over D-Bus
  trayer                                       # a real system tray for the close-to-tray test
  openjdk-17-jre-headless                      # Java for `encore pretrain --engine spark` (PySpark)
)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  # Spark runs on Java 17 or 21: a distribution without 17 (Debian 13) gets 21 below.
  [ "$pkg" = openjdk-17-jre-headless ] && installed openjdk-21-jre-headless && continue
  installed "$pkg" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""
  elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"
  else
    echo "Encore needs these system packages: ${missing[*]}" >&2
    echo "Run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  for i in "${!missing[@]}"; do
    if [ "${missing[$i]}" = openjdk-17-jre-headless ] && ! apt-cache show openjdk-17-jre-headless >/dev/null 2>&1; then
      missing[$i]=openjdk-21-jre-headless
    fi
  done
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.encore-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # torch is pinned in pyproject.toml to the CPU wheel; never let a dependency pull a CUDA build.
  .venv/bin/python -m pip install -q -e ".[test]"
  echo "$want" > "$stamp"
fi

# The launcher, the .desktop entry and the icon, under the user's XDG paths (no root needed).
scripts/install_desktop.sh

if [ "$START" = 1 ]; then
  exec .venv/bin/python main.py
fi
