"""Smart playlists: rules kept as plain data (JSON), compiled into parameterised SQL.

A rule set is a dict::

    {"match": "all" | "any",                       # AND / OR of the conditions
     "conditions": [{"field": "ambient", "op": ">", "value": 0.3},
                    {"match": "any", "conditions": [...]},   # nested groups
                    ...],
     "limit": 25,                                  # optional
     "sort": "last_played", "descending": false}   # optional; "random" shuffles

Fields: tags (``artist`` — the track's artist, else its album artist —, ``album``, ``album_artist``,
``genre``, ``title``, ``path``; ops ``is``, ``is not``, ``contains``, ``not contains``, ``starts with``,
case-insensitive; the last three compare names by ``player.text.search_key``, as every search does, so
"artist contains bjork" finds Björk; values past ``player.text.MAX_QUERY_CHARS`` are refused), numbers (``year``, ``duration`` in seconds, ``plays`` = completions, ``skips``,
``play_count`` = all plays, ``tempo`` BPM, ``loudness`` LUFS; ops ``< <= > >= = !=``), dates
(``last_played``, ``added``; ops ``within`` / ``not within`` N days — "not within" includes never played)
and every one of the 50 analysis tags (``ambient``, ``metal``, ``female vocalists``...: the track's
tag probability, 0..1, with the number ops). Tracks not analysed have no tempo, loudness or tags, so a
condition on them is false. Banned tracks and artists (``player.store.ratings``) never appear.

Size: at most ``MAX_CONDITIONS`` (200) conditions in all and groups nested at most ``MAX_DEPTH`` (8)
deep. Why: SQLite refuses an expression deeper than 1000, and a rule set past that would be saved but never
run; far below both limits, every playlist a person writes (or the dialog builds) fits.

Values only ever reach SQLite as bound parameters; field names and operators are looked up in the fixed
tables below, so no text of a rule becomes SQL. Tag probabilities are read from the stored float32 blob
by the SQL function ``encore_tag(blob, index)`` (``player.store.functions``).

API: ``SmartRuleError``, ``validate_rules``, ``load_rules``, ``parse_condition``, ``describe_condition``,
``describe_rules``, ``compile_rules``, ``smart_track_ids``, ``smart_tracks``, ``count_smart``,
``tag_vocabulary``, ``FIELDS``.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from player.store.core import Store
from player.store.ratings import BANNED_SQL, CREDIT_SQL
from player.text import QueryTooLong, check_query, search_key

TAGS_FILE = Path(__file__).resolve().parents[2] / "resources" / "musicnn" / "msd_tags.json"


class SmartRuleError(ValueError):
    """A rule that cannot be run, with a message meant for the user."""


#: Most conditions one rule set may hold, counting those inside groups (see the module docstring).
MAX_CONDITIONS = 200
#: Deepest nesting of groups (the top level is 1).
MAX_DEPTH = 8


@lru_cache(maxsize=1)
def tag_vocabulary() -> tuple[str, ...]:
    """The 50 analysis tags in the order of the stored tag vectors (read from the model's resource file)."""
    return tuple(json.loads(TAGS_FILE.read_text(encoding="utf-8")))


TEXT_FIELDS = {
    "artist": CREDIT_SQL,
    "album": "t.album",
    "album_artist": "t.album_artist",
    "genre": "t.genre",
    "title": "t.title",
    "path": "t.path",
}
NUMBER_FIELDS = {
    "year": "t.year",
    "duration": "t.duration",
    "plays": "COALESCE(s.completions, 0)",
    "skips": "COALESCE(s.skips, 0)",
    "play_count": "COALESCE(s.play_count, 0)",
    "tempo": "a.tempo",
    "loudness": "a.loudness",
}
DATE_FIELDS = {"last_played": "s.last_played", "added": "t.added_at"}
FIELDS = (*TEXT_FIELDS, *NUMBER_FIELDS, *DATE_FIELDS)

TEXT_OPS = ("is", "is not", "contains", "not contains", "starts with")
NUMBER_OPS = ("<", "<=", ">", ">=", "=", "!=")
DATE_OPS = ("within", "not within")
_NUMBER_SQL = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "=", "!=": "<>"}


def _field_kind(field: str) -> tuple[str, str]:
    """(kind, canonical name) of a field: kind is text, number, date or tag."""
    name = " ".join(str(field).split()).casefold()
    if name.startswith("tag:"):
        name = name[4:].strip()
    else:
        for kind, table in (("text", TEXT_FIELDS), ("number", NUMBER_FIELDS), ("date", DATE_FIELDS)):
            key = name.replace(" ", "_")
            if key in table:
                return kind, key
    tags = {t.casefold(): t for t in tag_vocabulary()}
    if name in tags:
        return "tag", tags[name]
    if not name:
        raise SmartRuleError("a condition has no field: choose one such as artist, plays or ambient")
    choices = [*FIELDS, *tags]
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.7)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise SmartRuleError(
        f"unknown field {field!r}{hint}: use {', '.join(FIELDS)}, or one of the 50 analysis tags "
        "(e.g. ambient, metal, guitar; `encore mood --tags` lists them)"
    )


def _ops_for(kind: str) -> tuple[str, ...]:
    return {"text": TEXT_OPS, "date": DATE_OPS}.get(kind, NUMBER_OPS)


def _validate_condition(cond: Any, depth: int, budget: list[int]) -> dict[str, Any]:
    if not isinstance(cond, dict):
        raise SmartRuleError(f"a condition must be a mapping of field, op and value, not {_short(cond)}")
    if "conditions" in cond:
        return _validate_group(cond, depth + 1, budget)
    budget[0] -= 1
    if budget[0] < 0:
        raise _too_many()
    kind, field = _field_kind(cond.get("field", ""))
    op = " ".join(str(cond.get("op", "")).split()).casefold()
    if op not in _ops_for(kind):
        what = {"text": "a tag", "number": "a number", "date": "a date", "tag": "a tag probability (0..1)"}[
            kind
        ]
        raise SmartRuleError(
            f"{op or 'an empty operator'!r} does not apply to {field} ({what}): use {', '.join(_ops_for(kind))}"
        )
    value = cond.get("value")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise SmartRuleError(f"the condition '{field} {op}' has no value")
    if kind != "text":
        try:
            value = float(value)
        except (TypeError, ValueError):
            unit = " (days)" if kind == "date" else ""
            raise SmartRuleError(f"{field} {op} needs a number{unit}, not {value!r}") from None
        if kind == "tag" and not 0.0 <= value <= 1.0:
            raise SmartRuleError(f"{field} is a probability between 0 and 1, not {value:g}")
    else:
        value = str(value)
        try:
            check_query(value, f"the value of '{field} {op}'")
        except QueryTooLong as exc:
            raise SmartRuleError(str(exc)) from None
    return {"field": field, "op": op, "value": value}


def _too_many() -> SmartRuleError:
    return SmartRuleError(
        f"a smart playlist holds at most {MAX_CONDITIONS} conditions: "
        "combine them (e.g. 'genre contains rock' rather than one condition per artist)"
    )


def _short(value: Any) -> str:
    """``repr(value)`` cut short: a message quotes a bad value, never a whole crafted structure."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _validate_group(group: dict[str, Any], depth: int, budget: list[int]) -> dict[str, Any]:
    """``budget``: how many conditions may still come (one list shared by the whole rule set)."""
    top = depth == 1
    if depth > MAX_DEPTH:
        raise SmartRuleError(f"groups of conditions nest at most {MAX_DEPTH} deep")
    match = str(group.get("match", "all")).casefold()
    if match not in ("all", "any"):
        raise SmartRuleError(f"match must be 'all' (AND) or 'any' (OR), not {group.get('match')!r}")
    conditions = group.get("conditions") or []
    if not isinstance(conditions, list) or not conditions:
        raise SmartRuleError(
            "the rule is empty: a smart playlist needs at least one condition, e.g. 'ambient > 0.3'"
            if top
            else "a group of conditions is empty"
        )
    if len(conditions) > budget[0]:  # refused before looking at any (a crafted list can be huge)
        raise _too_many()
    return {"match": match, "conditions": [_validate_condition(c, depth, budget) for c in conditions]}


def validate_rules(rules: Any) -> dict[str, Any]:
    """The rules checked and normalised (canonical field and op names, numbers as floats); raises
    ``SmartRuleError`` with a message for the user."""
    if not isinstance(rules, dict):
        raise SmartRuleError("the rule is empty: a smart playlist needs at least one condition")
    out = _validate_group(rules, 1, [MAX_CONDITIONS])
    limit = rules.get("limit")
    if limit not in (None, ""):
        try:
            limit = int(limit)
        except (TypeError, ValueError, OverflowError):  # OverflowError: 1e400 reads as infinity
            raise SmartRuleError(f"the limit must be a whole number, not {_short(limit)}") from None
        if limit < 1:
            raise SmartRuleError("the limit must be at least 1 (leave it out for no limit)")
        out["limit"] = limit
    sort = rules.get("sort")
    if sort not in (None, ""):
        if str(sort).casefold() == "random":
            out["sort"] = "random"
        else:
            out["sort"] = _field_kind(sort)[1]
        out["descending"] = bool(rules.get("descending", False))
    return out


def load_rules(text: str) -> dict[str, Any]:
    """Stored rules (JSON text) read and validated; ``SmartRuleError`` says why they cannot be used.
    Why: the stored text may come from an older Encore, a hand edit or a damaged file, and one unusable
    playlist must be flagged on its own, never break the listing of the others."""
    try:
        rules = json.loads(text)
    except RecursionError:
        raise SmartRuleError(f"groups of conditions nest at most {MAX_DEPTH} deep") from None
    except (ValueError, TypeError) as exc:
        raise SmartRuleError(f"its stored rules are not valid JSON ({exc})") from None
    try:
        return validate_rules(rules)
    except RecursionError:
        raise SmartRuleError(f"groups of conditions nest at most {MAX_DEPTH} deep") from None


# --- text form (CLI and dialog summaries) ----------------------------------------------------------------

_OP_PATTERN = re.compile(
    r"\s*(<=|>=|!=|<|>|=|\bnot\s+contains\b|\bcontains\b|\bstarts\s+with\b|\bis\s+not\b|\bis\b"
    r"|\bnot\s+within\b|\bwithin\b)\s*",
    re.IGNORECASE,
)


def parse_condition(text: str) -> dict[str, Any]:
    """'ambient > 0.3', 'artist is Muldjord', 'last_played not within 30' -> a validated condition."""
    clean = " ".join(str(text).split())
    if not clean:
        raise SmartRuleError("the rule is empty: write a condition such as 'ambient > 0.3'")
    found = _OP_PATTERN.search(clean)
    if found is None:
        raise SmartRuleError(
            f"cannot read the condition {text!r}: write FIELD OP VALUE, e.g. 'tempo < 100' or 'genre contains rock'"
        )
    field, op, value = clean[: found.start()], found.group(1), clean[found.end() :]
    value = value.strip().strip("\"'")
    if field.casefold().endswith(" days") or value.casefold().endswith(" days"):
        value = value[: -len(" days")]
    return _validate_condition({"field": field.strip(), "op": op, "value": value}, 1, [1])


def describe_condition(cond: dict[str, Any]) -> str:
    if "conditions" in cond:
        return "(" + describe_rules(cond, top=False) + ")"
    value = cond["value"]
    if cond["op"] in NUMBER_OPS or cond["op"] in DATE_OPS:
        try:  # a number typed in the rule dialog arrives as text: 'ambient > 0.2', not "> '0.2'"
            value = float(value)
        except (TypeError, ValueError):
            pass
    shown = f"{value:g}" if isinstance(value, (int, float)) else f"\u201c{value}\u201d"
    unit = " days" if cond["op"] in DATE_OPS else ""
    return f"{cond['field']} {cond['op']} {shown}{unit}"


def describe_rules(rules: dict[str, Any], top: bool = True) -> str:
    joiner = " and " if rules.get("match", "all") == "all" else " or "
    text = joiner.join(describe_condition(c) for c in rules.get("conditions", []))
    if top and rules.get("sort"):
        text += f"; sorted by {rules['sort']}{' (descending)' if rules.get('descending') else ''}"
    if top and rules.get("limit"):
        text += f"; at most {rules['limit']} tracks"
    return text


# --- SQL ---------------------------------------------------------------------------------------------------


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _expr(kind: str, field: str, params: list[Any]) -> str:
    if kind == "text":
        return f"COALESCE({TEXT_FIELDS[field]}, '')"
    if kind == "number":
        return NUMBER_FIELDS[field]
    if kind == "date":
        return DATE_FIELDS[field]
    params.append(tag_vocabulary().index(field))
    return "encore_tag(a.tags, ?)"


def _compile_condition(cond: dict[str, Any], params: list[Any], now: float) -> str:
    if "conditions" in cond:
        return _compile_group(cond, params, now)
    kind, field = _field_kind(cond["field"])
    op, value = cond["op"], cond["value"]
    expr = _expr(kind, field, params)
    if kind == "text":
        if op in ("is", "is not"):
            params.append(value)
            return f"{expr} {'=' if op == 'is' else '<>'} ? COLLATE NOCASE"
        key = search_key(value) if field != "path" else ""
        if key.strip():  # names match as every search does: "bjork" contains Björk, "journeys" Journey's
            expr = f"encore_search({expr})"
            value = key.strip()
        pattern = {"contains": "%{}%", "not contains": "%{}%", "starts with": "{}%"}[op].format(_like(value))
        params.append(pattern)
        return f"{expr} {'NOT ' if op == 'not contains' else ''}LIKE ? ESCAPE '\\'"
    if kind == "date":
        params.append(now - float(value) * 86400.0)
        return f"{expr} >= ?" if op == "within" else f"({expr} IS NULL OR {expr} < ?)"
    params.append(float(value))
    return f"{expr} {_NUMBER_SQL[op]} ?"


def _compile_group(group: dict[str, Any], params: list[Any], now: float) -> str:
    joiner = " AND " if group["match"] == "all" else " OR "
    return "(" + joiner.join(_compile_condition(c, params, now) for c in group["conditions"]) + ")"


def compile_rules(
    rules: dict[str, Any], model_version: str, now: float | None = None, columns: str = "t.id"
) -> tuple[str, list[Any]]:
    """(SQL, parameters) selecting ``columns`` of the tracks the rules choose, in playlist order."""
    rules = validate_rules(rules)
    now = time.time() if now is None else now
    params: list[Any] = [model_version]
    where = _compile_group(rules, params, now)
    sql = (
        f"SELECT {columns} FROM tracks t"
        " LEFT JOIN track_stats s ON s.track_id = t.id"
        " LEFT JOIN analysis a ON a.track_id = t.id AND a.model_version = ?"
        f" WHERE t.missing = 0 AND NOT {BANNED_SQL} AND {where}"
    )
    sort = rules.get("sort")
    if sort == "random":
        sql += " ORDER BY random()"
    elif sort:
        kind, field = _field_kind(sort)
        expr = _expr(kind, field, params)
        direction = "DESC" if rules.get("descending") else "ASC"
        sql += f" ORDER BY {expr} {direction}, t.id"
    else:
        sql += (
            f" ORDER BY {CREDIT_SQL} COLLATE NOCASE, t.album COLLATE NOCASE, t.disc_number, t.track_number,"
            " t.path"
        )
    if rules.get("limit"):
        sql += " LIMIT ?"
        params.append(int(rules["limit"]))
    return sql, params


def _prepare(store: Store) -> str:
    from player.store.analysis import MODEL_VERSION

    return MODEL_VERSION


def smart_track_ids(store: Store, rules: dict[str, Any], now: float | None = None) -> list[int]:
    """The ids of the tracks a smart playlist holds now, in its order."""
    sql, params = compile_rules(rules, _prepare(store), now)
    return [int(r[0]) for r in store.conn.execute(sql, params)]


def smart_tracks(store: Store, rules: dict[str, Any], now: float | None = None) -> list[dict[str, Any]]:
    """The tracks (all their columns) a smart playlist holds now, in its order."""
    sql, params = compile_rules(rules, _prepare(store), now, columns="t.*")
    cursor = store.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def count_smart(store: Store, rules: dict[str, Any], now: float | None = None) -> int:
    """How many tracks the rules give (the limit applied): the dialog's live count."""
    sql, params = compile_rules(rules, _prepare(store), now)
    return int(store.conn.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0])
