"""Keep libasound's own error printing off the terminal.

Why: with no sound card, libvlc's ALSA output tries to open the device again and again, and each try
makes libasound print eight lines to stderr ("ALSA lib confmisc.c:855:(parse_card) cannot find card
'0'", ...): 3,224 lines in 8 seconds of ``encore play``, burying Encore's own messages, while the app
already says "No sound is reaching an audio device" in words. libasound prints through a handler that a
program may replace (``snd_lib_error_set_handler``); Encore's handler sends the first of each message to
its log (debug level: the notice is what the user reads) and drops the repeats.

The handler is process-wide: each player takes it (``quiet_alsa``) and gives it back when it shuts down
(``release_alsa``); when the last one has, libasound's own handler is back, so that no libasound thread
calls into an interpreter that is ending. Without libasound (another audio stack, another OS) nothing
happens.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

log = logging.getLogger(__name__)

#: Distinct messages logged at most (the rest are dropped).
MAX_LOGGED = 50

# void handler(const char *file, int line, const char *function, int err, const char *fmt, ...): the
# variadic tail is never read, so a fixed-argument callback receives the call safely.
_PROTOTYPE = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)
_installed: list[object] = []  # the callback object: kept alive as long as libasound may call it
_users = [0]  # players holding the handler


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value else ""


def _set_handler() -> Any:
    """libasound's ``snd_lib_error_set_handler``, or None without libasound."""
    try:
        set_handler = ctypes.CDLL("libasound.so.2").snd_lib_error_set_handler
    except (OSError, AttributeError):
        return None
    set_handler.argtypes = [_PROTOTYPE]
    return set_handler


def release_alsa() -> None:
    """A player is done with the handler; the last one puts libasound's own back (NULL)."""
    if not _installed or _users[0] == 0:
        return
    _users[0] -= 1
    set_handler = _set_handler()
    if _users[0] == 0 and set_handler is not None:
        set_handler(_PROTOTYPE())  # a NULL function pointer: libasound's default again
        _installed.clear()


def quiet_alsa() -> bool:
    """Install the handler (once for all players); True when libasound is there and takes it."""
    if _installed:
        _users[0] += 1
        return True
    set_handler = _set_handler()
    if set_handler is None:
        return False
    seen: set[tuple[str, int]] = set()

    def handler(file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None) -> None:
        key = (_text(file), int(line))
        if key in seen or len(seen) >= MAX_LOGGED:
            return
        seen.add(key)
        log.debug("ALSA %s:%d (%s) error %d: %s", key[0], key[1], _text(function), err, _text(fmt))

    callback = _PROTOTYPE(handler)
    if set_handler(callback) != 0:
        return False
    _installed.append(callback)
    _users[0] += 1
    return True
