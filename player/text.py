"""Text from untrusted sources (tags, file names, user input), made safe to store, match and show.

- ``cap_tag``: a tag string cut to ``MAX_TAG_CHARS`` at a character boundary (a crafted file can carry
  a 200 MB title; nothing downstream needs more than a few KiB).
- ``fold`` / ``loose``: match keys, NFKC + casefold (``BJÖRK`` = ``björk``, NFC = NFD), and the same
  without accents (``bjork`` finds ``Björk``).
- ``search_key``: THE key every search and lookup compares by (the library filter, ``find_track`` on the
  command line, smart ``contains`` rules, playlist import): ``loose`` without punctuation, so
  "journeys end" finds "Journey's End" and "bjork" finds "Björk".
- ``search_words``: a typed query as the words each of which must occur in a ``search_key``.
- ``check_query``: a typed query refused, with a clear message, past ``MAX_QUERY_CHARS`` (SQLite
  refuses a LIKE pattern past 50 KB with "pattern too complex"; no name needs a thousandth of that).
- ``decoded``: text that arrived as bytes (a command-line argument, a file name) and was not UTF-8, as
  storable text (each bad byte becomes U+FFFD): SQLite and UTF-8 files cannot hold the surrogates
  Python uses to carry such bytes.
- ``shown``: text for a terminal, with control characters (ESC, CR, LF, C1 codes...) and undecodable
  bytes rendered visibly as ``\\x1b``, so a crafted tag cannot clear the screen or retitle the window.
"""

from __future__ import annotations

import re
import string
import unicodedata

#: Longest tag string kept, in UTF-8 bytes (a few real titles are long; none needs more).
MAX_TAG_BYTES = 4096
#: Most values read from one multi-valued tag (artist lists, genre lists).
MAX_TAG_VALUES = 64


def cap_tag(value: str, limit: int = MAX_TAG_BYTES) -> str:
    """``value`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    if len(value) * 4 <= limit:
        return value
    data = value.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return value
    # Dropping the bytes of a cut character: "ignore" removes only the incomplete sequence at the end.
    return data[:limit].decode("utf-8", "ignore")


def fold(text: str | None) -> str:
    """The key two strings are compared by: NFKC-normalised and casefolded."""
    if not text:
        return ""
    return unicodedata.normalize("NFKC", text).casefold()


def loose(text: str | None) -> str:
    """``fold`` without accents and other combining marks (``Jóga`` -> ``joga``)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize(
        "NFKC", "".join(c for c in decomposed if not unicodedata.combining(c))
    ).casefold()


#: Longest query searched (a title, "artist - title", a smart rule's value, a sound description).
MAX_QUERY_CHARS = 1000


class QueryTooLong(ValueError):
    """A typed query longer than ``MAX_QUERY_CHARS``."""


def check_query(text: str, what: str = "the query") -> str:
    """``text`` itself, or ``QueryTooLong`` saying how long it is and what is allowed."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooLong(
            f"{what} is {len(text):,} characters long; at most {MAX_QUERY_CHARS:,} are searched "
            "(a name, 'artist - title' or a few words)"
        )
    return text


#: ASCII punctuation and symbols, dropped by ``search_key`` ("Journey's" -> "journeys", "AC/DC" -> "acdc").
_ASCII_DROP = string.punctuation.encode("ascii")
_ASCII_PUNCT = frozenset(string.punctuation)


class _CharKeys(dict):
    """char -> its part of a search key, computed once per distinct character (``str.translate`` then
    runs at C speed: keying 100k mixed-script rows costs what the ASCII ones do, not ten times more)."""

    def __missing__(self, char: str) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(char).casefold())
        kept = "".join(
            c
            for c in decomposed
            if not unicodedata.combining(c) and c not in _ASCII_PUNCT and unicodedata.category(c)[0] != "P"
        )
        self[char] = kept
        return kept


_CHAR_KEYS = _CharKeys()
#: Anything but ASCII and the combining diacritical marks (U+0300-U+036F, less U+0345 which casefolds
#: to a letter and U+034F which is no combining mark) after NFKD.
_NOT_LATIN = re.compile("[^\x00-\x7f\u0300-\u0344\u0346-\u034e\u0350-\u036f]")


def search_key(text: str | None) -> str:
    """What searches compare: ``loose`` (NFKC, casefold, no accents) with punctuation removed.

    Why removed rather than made a space: a query word is looked for as a substring, so "acdc", "ac dc"
    and "ac/dc" all find "AC/DC", and "journeys" finds "Journey's". Whitespace and NUL (a field
    separator) are kept. ASCII text, most tags, takes a fast path (the library filter keys 100k rows);
    other text is keyed character by character (NFKD is per character; the marks it splits off are
    dropped, so their order never matters) and recomposed (NFKC: Hangul jamo back into syllables)."""
    if not text:
        return ""
    if text.isascii():  # bytes.translate: 4x faster than str.translate on 100k rows
        return text.encode("ascii").translate(None, _ASCII_DROP).decode("ascii").lower()
    decomposed = unicodedata.normalize("NFKD", text)
    if not _NOT_LATIN.search(decomposed):  # accented Latin ("Björk"): marks dropped at C speed
        return decomposed.encode("ascii", "ignore").translate(None, _ASCII_DROP).decode("ascii").lower()
    kept = text.translate(_CHAR_KEYS)
    return kept.lower() if kept.isascii() else unicodedata.normalize("NFKC", kept).casefold()


def search_words(query: str | None) -> list[str]:
    """The words of a typed query, each keyed by ``search_key``; words that are only punctuation ("-"
    in "Björk - Jóga") drop out, as they do from the keys searched."""
    return search_key(query).split()


def decoded(text: str) -> str:
    """``text`` with surrogate-escaped bytes (how Python passes argv and file names that are not UTF-8)
    decoded as UTF-8, each invalid byte becoming U+FFFD; valid text is returned unchanged."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that was never a byte
        data = text.encode("utf-8", "surrogatepass")
    return data.decode("utf-8", "replace")


def _visible(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def _needs_escape(char: str) -> bool:
    category = unicodedata.category(char)
    # Cc: C0/C1 controls (ESC, CR, LF, CSI); Cs: lone surrogates; Zl/Zp: line and paragraph separators;
    # the bidirectional overrides (Cf) can reorder what the terminal shows.
    return category in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI_CONTROLS


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(text: object) -> str:
    """``text`` for a terminal line: control characters and undecodable bytes rendered as ``\\xNN``."""
    value = "" if text is None else str(text)
    if value.isprintable():  # the common case, fast
        return value
    return "".join(_visible(c) if _needs_escape(c) else c for c in value)


def count_text(n: int, noun: str = "track", plural: str | None = None) -> str:
    """ "1 track", "2 tracks" ("1 entry", "2 entries" with ``plural``): every count shown to the user
    (window, reasons, CLI) goes through here so that none reads "1 tracks" or "1 plays"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def sentence(text: str) -> str:
    """``text`` as a sentence: its first letter a capital, a full stop at its end unless it ends with its
    own (. ! ? …). Errors are worded in lowercase to be quoted inside other sentences ("cannot import:
    a playlist named … already exists"); shown alone they read as a sentence."""
    text = text.strip()
    if not text:
        return ""
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?", "…")) else ".")
