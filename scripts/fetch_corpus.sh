#!/usr/bin/env bash
# Fetches the real-music test corpus: freely licensed game soundtracks from Debian packages.
# Usage: scripts/fetch_corpus.sh [DIR]   (default $ENCORE_CORPUS or ~/.cache/encore/corpus)
# A no-op when DIR already holds all four packages. The audio is never committed to the project.
set -euo pipefail
DIR="${1:-${ENCORE_CORPUS:-$HOME/.cache/encore/corpus}}"
PACKAGES=(wesnoth-1.16-music fretsonfire-songs-muldjord hyperrogue-music drascula-music)
mkdir -p "$DIR"
todo=()
for pkg in "${PACKAGES[@]}"; do
  [ -f "$DIR/$pkg/.complete" ] || todo+=("$pkg")
done
[ ${#todo[@]} -eq 0 ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download "${todo[@]}" >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq
  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq
  fi
  apt-get download "${todo[@]}"
fi
for pkg in "${todo[@]}"; do
  deb=$(ls "$work"/"${pkg}"_*.deb)
  rm -rf "${DIR:?}/$pkg"
  mkdir -p "$DIR/$pkg"
  dpkg-deb -x "$deb" "$work/x-$pkg"
  # Keep the audio only, flat under DIR/PKG/, preserving sub-folders below usr/share/games/...
  (cd "$work/x-$pkg" && find . -type f \( -name '*.ogg' -o -name '*.mp3' -o -name '*.flac' \) -print0 |
    while IFS= read -r -d '' f; do
      rel=${f#./usr/share/}
      mkdir -p "$DIR/$pkg/$(dirname "$rel")"
      mv "$f" "$DIR/$pkg/$rel"
    done)
  touch "$DIR/$pkg/.complete"
  echo "corpus: $pkg -> $DIR/$pkg ($(find "$DIR/$pkg" -type f ! -name .complete | wc -l) files)"
done
