"""Keep libasound's own error printing off the terminal.

Why: with no sound card, libvlc's ALSA output tries to open the device again and again, and each try
makes libasound print eight lines to stderr ("ALSA lib confmisc.c:855:(parse_card) cannot find card
'0'", ...): 3,224 lines in 8 seconds of ``encore play``, burying Encore's own messages, while the app
already says "No sound is reaching an audio device" in words. libasound prints through a handler that a
program may replace (``snd_lib_error_set_handler``); Encore's handler sends the first of each message to
its log (debug level: the notice is what the user reads) and drops the repeats.

The handler is process-wide and stays for the process's life (libasound keeps the pointer); installing
it twice is harmless. Without libasound (another audio stack, another OS) nothing happens.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

#: Distinct messages logged at most (the rest are dropped).
MAX_LOGGED = 50

# void handler(const char *file, int line, const char *function, int err, const char *fmt, ...): the
# variadic tail is never read, so a fixed-argument callback receives the call safely.
_PROTOTYPE = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)
_installed: list[object] = []  # the callback object: kept alive as long as libasound may call it


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value else ""


def quiet_alsa() -> bool:
    """Install the handler once; True when libasound is there and takes it."""
    if _installed:
        return True
    try:
        lib = ctypes.CDLL("libasound.so.2")
        set_handler = lib.snd_lib_error_set_handler
    except (OSError, AttributeError):
        return False
    seen: set[tuple[str, int]] = set()

    def handler(file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None) -> None:
        key = (_text(file), int(line))
        if key in seen or len(seen) >= MAX_LOGGED:
            return
        seen.add(key)
        log.debug("ALSA %s:%d (%s) error %d: %s", key[0], key[1], _text(function), err, _text(fmt))

    callback = _PROTOTYPE(handler)
    set_handler.argtypes = [_PROTOTYPE]
    if set_handler(callback) != 0:
        return False
    _installed.append(callback)
    return True
