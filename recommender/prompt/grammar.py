"""The station language: what a listener types to steer a radio (``encore radio --prompt``, the radio
panel's text box), parsed into plain terms with their positions in the text.

Why a small language of its own: a seed song says too little ("like Portishead, but no trip hop
classics I know, calm, before 2000"). The terms follow ListenBrainz's LB Radio prompts where they
overlap (``artist:(...)``, ``tag:(...)``, weights, ``-`` to exclude) and add what only an offline player
with audio analysis can answer (``sounds:(calm piano)``, tempo, any smart-playlist field)::

    like:(Portishead - Glory Box)     a seed song            artist:(Björk):2   a seed artist, weight 2
    tag:(trip hop)                    a tag (Last.fm words, the 50 analysis tags, the files' genres)
    sounds:(calm piano)               search by sound        -artist:(Muse)     never this artist
    -tag:(metal)  -like:(A - B)       never these            year:1990-1999     tempo:<110
    genre:(contains rock)  plays:>=1  ambient:>0.3  added:(within 30)   any smart-playlist field
    new  familiar  loved  unplayed    modifiers              from:(A) via:(C) to:(B)   a path

A value is one word or a parenthesised text (which may hold spaces and nested parentheses); a weight
``:N`` (0 < N ≤ 10) may follow a seed term. Every error carries the offset and length of the text it
is about, so a text box can underline it and the CLI can print a caret under it (``PromptError.show``).

API: ``PromptError``, ``Term``, ``Prompt``, ``parse_prompt``, ``SEED_KINDS``, ``EXCLUDABLE``,
``MODIFIERS``, ``PATH_KINDS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Terms that pull the station toward something (weights allowed).
SEED_KINDS = ("like", "artist", "tag", "sounds")
#: Terms that may be negated with ``-`` (never play what they match).
EXCLUDABLE = ("like", "artist", "tag", "sounds")
#: Bare words that narrow the station to part of the library.
MODIFIERS = ("new", "familiar", "loved", "unplayed")
#: A path from one song to another, through waypoints.
PATH_KINDS = ("from", "via", "to")
#: Longest prompt accepted (characters): a prompt is typed, not pasted from a file.
MAX_PROMPT_CHARS = 2000
#: Most terms in one prompt.
MAX_TERMS = 40
MAX_WEIGHT = 10.0

_NAME = re.compile(r"[A-Za-z0-9_]+")  # a tag with spaces is written with underscores: female_vocalists
_WEIGHT = re.compile(r":(\d+(?:\.\d+)?)")


class PromptError(ValueError):
    """A prompt that cannot be understood: ``message``, and where (``start``, ``length`` in the text)."""

    def __init__(self, message: str, text: str, start: int, length: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.start = max(0, min(start, len(text)))
        self.length = max(1, length)

    def show(self) -> str:
        """The prompt, a caret line under the faulty part, and the message (for a terminal)."""
        line = self.text.replace("\n", " ").replace("\t", " ")
        return f"{line}\n{' ' * self.start}{'^' * min(self.length, max(1, len(line) - self.start))}\n{self.message}"


@dataclass(frozen=True)
class Term:
    """One term: ``kind`` (a seed, path or filter name, or "modifier"), its ``value`` text, ``weight``
    (seeds), ``negated`` (``-``), and where it stood in the prompt."""

    kind: str
    value: str
    weight: float = 1.0
    negated: bool = False
    start: int = 0
    end: int = 0

    def text(self, prompt: str) -> str:
        return prompt[self.start : self.end]


@dataclass
class Prompt:
    """A parsed prompt: its text and terms, in order."""

    text: str
    terms: list[Term] = field(default_factory=list)

    def of(self, *kinds: str, negated: bool | None = None) -> list[Term]:
        return [t for t in self.terms if t.kind in kinds and (negated is None or t.negated == negated)]

    @property
    def modifiers(self) -> list[str]:
        return [t.value for t in self.terms if t.kind == "modifier"]


def _closing(text: str, open_at: int) -> int:
    """Index of the ``)`` that closes the ``(`` at ``open_at`` (nested pairs allowed), or -1."""
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def parse_prompt(text: str, filter_fields: tuple[str, ...] = ()) -> Prompt:
    """Parse ``text`` into a ``Prompt``. ``filter_fields``: the names accepted as filters besides the
    seed and path terms (the smart-playlist fields and analysis tags; the resolver passes them), so the
    grammar stays free of the database. Raises ``PromptError`` with the position of the first fault."""
    if len(text) > MAX_PROMPT_CHARS:
        raise PromptError(
            f"the prompt is too long (at most {MAX_PROMPT_CHARS} characters)", text, MAX_PROMPT_CHARS
        )
    known = {*SEED_KINDS, *PATH_KINDS, *(f.lower().replace(" ", "_") for f in filter_fields)}
    prompt = Prompt(text)
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negated = text[i] == "-"
        if negated:
            i += 1
            if i >= n or text[i].isspace():
                raise PromptError(
                    "a '-' goes right before the term it leaves out, as -artist:(...)", text, start
                )
        match = _NAME.match(text, i)
        if match is None:
            raise PromptError(f"unexpected {text[i]!r}: a term is a word or name:(value)", text, i)
        name = match.group(0).strip()
        i = match.end()
        if i >= n or text[i] != ":":
            word = name.lower()
            if word not in MODIFIERS or negated:
                hint = _closest(word, [*MODIFIERS, *(f"{k}:(...)" for k in SEED_KINDS)])
                raise PromptError(f"unknown word {name!r}{hint}", text, start, i - start)
            prompt.terms.append(Term("modifier", word, start=start, end=i))
            continue
        kind = name.lower()
        if kind not in known:
            hint = _closest(kind, sorted(known))
            raise PromptError(f"unknown term {name + ':'!r}{hint}", text, start, i - start + 1)
        i += 1  # the colon
        if i < n and text[i] == "(":
            close = _closing(text, i)
            if close < 0:
                raise PromptError("this '(' is never closed", text, i)
            value = text[i + 1 : close].strip()
            i = close + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] != ":":  # a ":" starts a weight
                j += 1
            value, i = text[i:j], j
        if not value:
            raise PromptError(f"{kind}: needs a value, as {kind}:(...)", text, start, i - start)
        weight = 1.0
        w = _WEIGHT.match(text, i)
        if w is not None:
            if kind not in SEED_KINDS or negated:
                raise PromptError(
                    "a weight goes only after a seed term (like, artist, tag, sounds)", text, i, w.end() - i
                )
            weight = float(w.group(1))
            if not 0 < weight <= MAX_WEIGHT:
                raise PromptError(f"a weight is between 0 and {MAX_WEIGHT:g}", text, i + 1, w.end() - i - 1)
            i = w.end()
        if i < n and not text[i].isspace():
            raise PromptError("put a space between terms", text, i)
        if negated and kind not in EXCLUDABLE:
            raise PromptError(
                f"'-' excludes only {', '.join(EXCLUDABLE)}; use the filter's own operator", text, start, 1
            )
        prompt.terms.append(Term(kind, value, weight, negated, start, i))
        if len(prompt.terms) > MAX_TERMS:
            raise PromptError(f"at most {MAX_TERMS} terms in one prompt", text, start, i - start)
    if not prompt.terms:
        raise PromptError("the prompt is empty: start with like:(a song), artist:(...) or tag:(...)", text, 0)
    _check_path(prompt)
    return prompt


def _check_path(prompt: Prompt) -> None:
    starts, ends = prompt.of("from"), prompt.of("to")
    vias = prompt.of("via")
    if not (starts or ends or vias):
        return
    if len(starts) != 1 or len(ends) != 1:
        bad = (starts[1:] or ends[1:] or starts or ends or vias)[0]
        raise PromptError(
            "a path has one from:(...) and one to:(...), and any via:(...) between",
            prompt.text,
            bad.start,
            bad.end - bad.start,
        )
    for term in prompt.terms:
        if term.kind in SEED_KINDS and not term.negated:
            raise PromptError(
                "a path (from/to) and seed terms do not mix: filters and exclusions do",
                prompt.text,
                term.start,
                term.end - term.start,
            )


def _closest(word: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
