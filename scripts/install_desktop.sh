#!/usr/bin/env bash
# Puts Encore on the desktop for this user (XDG paths, no root): a launcher `encore` in ~/.local/bin,
# a .desktop entry (menus, "Open with" for audio files) and the icon in the hicolor theme.
#   scripts/install_desktop.sh            (scripts/install.sh runs it)
# Honours XDG_DATA_HOME; the launcher directory can be changed with ENCORE_BIN_DIR (tests use both).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
BIN="${ENCORE_BIN_DIR:-$HOME/.local/bin}"

mkdir -p "$BIN" "$DATA/applications" "$DATA/icons/hicolor/scalable/apps"
cat > "$BIN/encore" <<LAUNCHER
#!/bin/sh
# Encore launcher (written by scripts/install_desktop.sh): the app, or its command line with arguments.
exec "$REPO/.venv/bin/python" "$REPO/main.py" "\$@"
LAUNCHER
chmod 755 "$BIN/encore"
install -m 644 "$REPO/resources/icons/encore.svg" "$DATA/icons/hicolor/scalable/apps/encore.svg"
cat > "$DATA/applications/encore.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=Encore
GenericName=Music player
Comment=Play your music, with a radio that learns what you like
Exec=$BIN/encore %F
Icon=encore
Terminal=false
Categories=AudioVideo;Audio;Player;
MimeType=audio/ogg;audio/x-vorbis+ogg;audio/opus;audio/mpeg;audio/flac;audio/mp4;audio/x-wav;
StartupWMClass=encore
Keywords=music;player;radio;
DESKTOP
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
case ":$PATH:" in
  *":$BIN:"*) ;;
  *) echo "Encore's launcher is in $BIN; add it to your PATH to type 'encore'." ;;
esac
