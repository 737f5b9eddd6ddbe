"""Bound what a parsed body may hold before anything walks it: nesting depth and numbers beyond a double.

Every later step walks an event recursively (text repair, the e-mail scrub, pydantic, ``orjson.dumps``, whose
limit is 254 levels), so an event nested deeper than ``MAX_EVENT_DEPTH`` is refused here, by an iterative walk,
before any of them sees it. No valid event comes near the limit: the deepest legal path is
``order.items[i].price``, four levels. The refusal is of that one event: its neighbours in a batch are stored.

Two values cannot be written back as JSON at all and stand in for what the client sent until the event is
refused: `OutOfRange`, a number beyond the range of a double (``1e400``, a 400-digit integer), and `TooDeep`, an
element nested deeper than the JSON parser itself goes (about a thousand levels), kept only as a sample of its
text (see ingest_lambda.body).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_EVENT_DEPTH = 32
# What a refused event keeps of a value it cannot hold: enough to recognise it, bounded.
SAMPLE_CHARS = 1024
_CUT = f"(nested deeper than {MAX_EVENT_DEPTH} levels: cut)"
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'[]{}"')
_NOT_STRUCTURE_OR_ESCAPE = bytes(range(256)).translate(None, b'[]{}"\\/bfnrtu')
_EMPTY_PAIR = re.compile(rb"\{\}|\[\]")
_PAIRS_IN_TURN = (b"{}", b"[]") * (MAX_EVENT_DEPTH // 2)
# Past this many brackets the body is not checked as text: the events are walked instead.
_SHALLOW_CHECK_MAX_BRACKETS = 65_536


@dataclass(frozen=True, slots=True)
class OutOfRange:
    """A JSON number that no double can hold, as its text."""

    text: str

    def shown(self) -> str:
        return self.text if len(self.text) <= 40 else self.text[:37] + "..."


@dataclass(frozen=True, slots=True)
class TooDeep:
    """A value nested deeper than the parser goes, as the start of its text."""

    sample: str


def body_is_shallow(body: bytes) -> bool:
    """True when no value in this (valid) JSON body nests deeper than MAX_EVENT_DEPTH, so that no event of it
    needs `event_problem`; False when it may. Byte operations only: a batch of normal events costs about a
    microsecond per event, where walking each event costs several."""
    if b"\\" in body:
        # Escaped backslashes, then escaped quotes: what is left of a quote is a string's delimiter. Replaced in
        # what is left once all but the structure and the escapes' characters are dropped (a third of the body or
        # less, where JSON in strings, as Snowplow's, has hundreds of escapes): in JSON a backslash is always
        # followed by one of those characters, so no two of what is kept come together that were not together.
        body = body.translate(None, _NOT_STRUCTURE_OR_ESCAPE).replace(b"\\\\", b"").replace(b'\\"', b"")
    # Only brackets and quotes kept; then the strings dropped. Most strings hold no bracket and leave a bare "":
    # removing those first (an empty string, or the end of one string and the start of the next) keeps the quotes
    # paired, so that what is left between quotes is still string content and the split is over a short remainder.
    brackets = body.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in brackets:
        brackets = b"".join(brackets.split(b'"')[::2])
    if len(brackets) <= 2 * MAX_EVENT_DEPTH:
        return True  # balanced, so at most half of them deep
    if len(brackets) > _SHALLOW_CHECK_MAX_BRACKETS:
        return False
    # A batch of browser events has a few hundred brackets a few levels deep. One replace of "{}" (or "[]")
    # removes only pairs that are innermost when it runs, at most one level: if at most MAX_EVENT_DEPTH of them,
    # objects' and arrays' in turn, leave nothing, the body is that shallow. A replace costs a tenth of a regex
    # pass; a body they do not empty (deep, or many levels of one kind) gets the exact count below.
    reduced = brackets
    for pair in _PAIRS_IN_TURN:
        if not reduced:
            return True
        reduced = reduced.replace(pair, b"")
    if not reduced:
        return True
    # Each pass removes the innermost level everywhere (a regex pass does not rescan what it just joined).
    for _ in range(MAX_EVENT_DEPTH):
        if not brackets:
            return True
        brackets = _EMPTY_PAIR.sub(b"", brackets)
    return not brackets


def event_problem(event: Any) -> tuple[str, str] | None:
    """(path, message) of the first thing that bars `event` from any recursive walk, or None.

    Iterative (an explicit stack), so it is safe on any depth the parser produced."""
    if isinstance(event, TooDeep):
        return "", f"the event is nested deeper than {MAX_EVENT_DEPTH} levels (the limit)"
    stack: list[tuple[Any, str, int]] = [(event, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        elif isinstance(value, OutOfRange):
            return path, f"number {value.shown()} is out of range (beyond a 64-bit float)"
        else:
            continue
        if depth > MAX_EVENT_DEPTH:
            return path, f"nested deeper than {MAX_EVENT_DEPTH} levels (the limit for an event)"
        for key, item in items:
            if isinstance(item, dict | list | OutOfRange):
                child = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
                stack.append((item, child, depth + 1))
    return None


def kept_copy(event: Any) -> Any:
    """`event` as a refused record keeps it: containers past the depth limit cut, numbers out of range and
    values too deep for the parser as text. The result is safe for every recursive walk and for orjson."""
    if isinstance(event, TooDeep | OutOfRange):
        return _as_text(event)
    if not isinstance(event, dict | list):
        return event
    root: Any = {} if isinstance(event, dict) else []
    stack: list[tuple[Any, Any, int]] = [(event, root, 1)]
    while stack:
        source, target, depth = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            copied: Any
            if isinstance(item, dict | list):
                if depth >= MAX_EVENT_DEPTH:
                    copied = _CUT
                else:
                    copied = {} if isinstance(item, dict) else []
                    stack.append((item, copied, depth + 1))
            elif isinstance(item, TooDeep | OutOfRange):
                copied = _as_text(item)
            else:
                copied = item
            if isinstance(target, dict):
                target[key] = copied
            else:
                target.append(copied)
    return root


def _as_text(value: TooDeep | OutOfRange) -> str:
    if isinstance(value, OutOfRange):
        return value.shown()
    return value.sample[:SAMPLE_CHARS]
