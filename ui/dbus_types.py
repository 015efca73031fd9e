"""D-Bus values whose type PySide cannot express: int64 ("x"), uint32 ("u") and a typed string array.

Why: PySide turns a Python int that fits in 32 bits into a QVariant(int) (D-Bus "i"), wraps QDBusVariant
around the same int32, binds ``QDBusArgument << int`` to the ``ushort`` overload, and sends an empty
Python list as "av". Services that check signatures strictly then answer "No such method": MPRIS wants
"x" for ``mpris:length`` and ``Seeked``; ``org.freedesktop.Notifications.Notify`` wants "susssasa{sv}i".
Calling QtDBus's own ``QDBusArgument::operator<<`` overloads (from the loaded library, through ctypes)
on a fresh ``QDBusArgument`` writes the real type, which QtDBus then sends as is.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
from typing import Any

import shiboken6
from PySide6.QtCore import QLibraryInfo, QMetaType
from PySide6.QtDBus import QDBusArgument

log = logging.getLogger(__name__)


@functools.cache
def _operator(symbol: str, ctype: Any) -> Any:
    """``QDBusArgument::operator<<`` for one C type (``symbol`` is its mangled name), or None."""
    names = [
        os.path.join(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath), "libQt6DBus.so.6"),
        "libQt6DBus.so.6",  # dlopen by soname finds the copy QtDBus already loaded
    ]
    for name in names:
        try:
            append = getattr(ctypes.CDLL(name), symbol)
        except (OSError, AttributeError):
            continue
        append.restype = ctypes.c_void_p
        append.argtypes = [ctypes.c_void_p, ctype]
        return append
    log.warning("QtDBus marshalling %s not found: the value goes out as int32", symbol)
    return None


def _typed(symbol: str, ctype: Any, value: int) -> Any:
    append = _operator(symbol, ctype)
    if append is None:
        return int(value)
    argument = QDBusArgument()
    append(shiboken6.getCppPointer(argument)[0], int(value))
    return argument


def int64(value: int) -> Any:
    """``value`` as a D-Bus int64 (a QDBusArgument holding one "x"), or the plain int as a fallback."""
    return _typed("_ZN13QDBusArgumentlsEx", ctypes.c_longlong, value)


def uint32(value: int) -> Any:
    """``value`` as a D-Bus uint32 ("u"), or the plain int as a fallback."""
    return _typed("_ZN13QDBusArgumentlsEj", ctypes.c_uint, value)


def string_array(values: list[str]) -> QDBusArgument:
    """A D-Bus array of strings ("as"), also when empty."""
    argument = QDBusArgument()
    argument.beginArray(QMetaType(QMetaType.Type.QString))
    for value in values:
        argument.add(str(value))
    argument.endArray()
    return argument
