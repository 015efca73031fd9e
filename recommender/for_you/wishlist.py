"""Artists to discover, written where a listener can act on them: a CSV wishlist (artist, why, a
MusicBrainz search link, the Last.fm page) for a spreadsheet or a record shop's list, or one link per
artist (``.txt``, ``.html``) to open in a browser.

Why MusicBrainz search links and not ids: the factor bundle is Last.fm data keyed by name; a search
link always resolves, and MusicBrainz is where an artist's releases (and where to buy them) are listed.
Files are written whole or not at all (``player.playlist_files.write_replacing``).

API: ``musicbrainz_link``, ``write_wishlist``.
"""

from __future__ import annotations

import csv
import html
import io
import os
import urllib.parse
from pathlib import Path
from typing import Any


def musicbrainz_link(name: str) -> str:
    """A MusicBrainz artist search for ``name``."""
    return "https://musicbrainz.org/search?type=artist&query=" + urllib.parse.quote_plus(name)


def write_wishlist(path: str | os.PathLike[str], artists: list[dict[str, Any]]) -> str:
    """Write ``artists`` ({"artist", "why"}) to ``path``: CSV unless it ends in .txt (links) or .html (a
    page of links); returns what was written ("CSV wishlist", "link list", "HTML page"). Another ending
    (.pdf) is a ``ValueError``: nothing is written under a name that promises another format ("wishlist
    v1.2" is no format: a CSV)."""
    from player.playlist_files import write_replacing

    file = Path(path)
    suffix = file.suffix.lower()
    if suffix[1:].isalpha() and suffix not in (".csv", ".txt", ".html", ".htm"):  # a walk got a CSV as .pdf
        raise ValueError(
            f"a wishlist is written as .csv, .txt or .html, not as {suffix}: {file.name} was not written"
        )
    if suffix == ".txt":
        text = "".join(f"{a['artist']}\t{musicbrainz_link(a['artist'])}\n" for a in artists)
        kind = "link list"
    elif suffix in (".html", ".htm"):
        items = "".join(
            f'<li><a href="{html.escape(musicbrainz_link(a["artist"]))}">{html.escape(a["artist"])}</a>'
            f" — {html.escape(a.get('why') or '')}</li>\n"
            for a in artists
        )
        text = f'<!doctype html>\n<meta charset="utf-8">\n<title>Artists to discover</title>\n<ol>\n{items}</ol>\n'
        kind = "HTML page"
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["artist", "why", "musicbrainz", "lastfm"])
        from recommender.similar.answers import lastfm_link

        for a in artists:
            writer.writerow(
                [
                    _cell(a["artist"]),
                    _cell(a.get("why") or ""),
                    musicbrainz_link(a["artist"]),
                    lastfm_link(a["artist"]),
                ]
            )
        text = out.getvalue()
        kind = "CSV wishlist"
    payload = text.encode("utf-8")
    write_replacing(file, lambda out: out.write(payload))
    return kind


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
