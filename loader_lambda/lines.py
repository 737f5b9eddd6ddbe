"""An object's bytes to COPY-ready rows, and every line that cannot be landed with the reason why.

The loader does not transform: each line is landed as the JSON text it is. It only checks what PostgreSQL's
``jsonb`` would refuse (so one bad line never fails a whole COPY) and finds the line's ``receivedAt`` for the
partition. A line is refused when it is not valid UTF-8, not JSON, not a JSON object, or holds text ``jsonb``
cannot (``\\u0000``, unpaired surrogates), or is longer than ``MAX_LINE_BYTES`` (kept as its prefix, size and
hash: see loader_lambda/streaming.py); an object that cannot be read at all (a truncated gzip) is refused whole, as
line 0.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

import orjson

from loader_lambda.streaming import MAX_LINE_BYTES, Overlong, overlong, overlong_reason
from raw_store.gzip_bounded import GZIP_MAGIC, InflatedTooLarge, InflateError, gunzip_bounded
from raw_store.times import RECEIVED_AT_FIELD, STORED_TIME_LENGTH, has_stored_shape, parse_time

WHOLE_OBJECT = 0
# The ingest writes objects of at most a few MiB; a gzip object inflating past this is refused, not loaded.
MAX_INFLATED_BYTES = 512 * 1024 * 1024


class NeedsStreaming(Exception):
    """The object inflates past what the caller will hold in memory: read it as a stream instead."""


@dataclass(slots=True)
class Spool:
    """A large object's COPY rows and rejected rows, in temporary files (memory up to a few MiB, then disk)."""

    rows: IO[bytes]
    rejected: IO[bytes]
    rejected_count: int = 0

    def close(self) -> None:
        self.rows.close()
        self.rejected.close()


@dataclass(slots=True)
class ParsedObject:
    key: str
    etag: str
    size: int
    # The object's bytes while its group is in flight, so that a group COPY refused can be parsed again exactly.
    data: bytes | None = None
    lines: int = 0
    rows: int = 0
    copy_rows: list[bytes] = field(default_factory=list)
    rejected: list[tuple[int, bytes, str]] = field(default_factory=list)
    days: set[str] = field(default_factory=set)
    # A large object's rows and rejected lines, spooled instead of held in copy_rows and rejected.
    spool: Spool | None = None


def read_lines(data: bytes, max_inflated: int = MAX_INFLATED_BYTES) -> list[bytes] | str:
    """The object's lines, or the reason it cannot be read (gzip is undone when the bytes say so).

    With `max_inflated` below the loader's own ceiling, an object inflating past it raises NeedsStreaming."""
    if data[:2] == GZIP_MAGIC:
        try:
            data = gunzip_bounded(data, max_inflated)
        except InflatedTooLarge as exc:
            if max_inflated < MAX_INFLATED_BYTES:
                raise NeedsStreaming(str(exc)) from exc
            return f"object {exc}"
        except InflateError as exc:
            return f"object {exc}"
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def parse_object(
    key: str,
    etag: str,
    data: bytes,
    fallback_received_at: datetime,
    *,
    optimistic: bool = False,
    max_inflated: int = MAX_INFLATED_BYTES,
) -> ParsedObject:
    """Rows and refusals for one object.

    `optimistic`: a line shaped as the ingest writes it (a JSON object ending with a canonical top-level
    ``receivedAt``) goes to COPY without being parsed here: PostgreSQL's jsonb parser checks it there. If COPY
    refuses anything, the loader parses the group again with ``optimistic=False``, which checks every line
    exactly and sends the refused ones to ``rejected_lines``.
    """
    parsed = ParsedObject(key=key, etag=etag, size=len(data), data=data if optimistic else None)
    lines = read_lines(data, max_inflated)
    if isinstance(lines, str):
        parsed.rejected.append((WHOLE_OBJECT, data, lines))
        return parsed
    fallback = copy_time(fallback_received_at)
    escaped_key = _copy_escape(key.encode())
    for number, line in enumerate(lines, start=1):
        add_line(parsed, number, line, escaped_key, fallback, optimistic=optimistic)
    return parsed


def parse_numbered(
    key: str, etag: str, size: int, numbered: list[tuple[int, bytes | Overlong]], fallback_received_at: datetime
) -> ParsedObject:
    """The same as `parse_object`, from lines already split and numbered (a compacted file's rows)."""
    if numbered and numbered[0][0] == WHOLE_OBJECT:
        whole = numbered[0][1]
        if isinstance(whole, Overlong):
            reason = "object cannot be read as lines; " + overlong_reason(whole.size, whole.sha256, "object")
            return ParsedObject(key, etag, size, rejected=[(WHOLE_OBJECT, whole.prefix, reason)])
        return parse_object(key, etag, whole, fallback_received_at)
    parsed = ParsedObject(key=key, etag=etag, size=size)
    fallback = copy_time(fallback_received_at)
    escaped_key = _copy_escape(key.encode())
    for number, line in numbered:
        if isinstance(line, Overlong):
            add_overlong(parsed, number, line)
        else:
            add_line(parsed, number, line, escaped_key, fallback)
    return parsed


def escaped_key(key: str) -> bytes:
    return _copy_escape(key.encode())


def add_overlong(parsed: ParsedObject, number: int, line: Overlong) -> None:
    parsed.lines += 1
    parsed.rejected.append((number, line.prefix, line.reason))


def add_line(
    parsed: ParsedObject, number: int, line: bytes, escaped_key: bytes, fallback: str, *, optimistic: bool = False
) -> None:
    if len(line) > MAX_LINE_BYTES:
        add_overlong(parsed, number, overlong(line))
        return
    parsed.lines += 1
    if line.endswith(b"\r"):
        line = line[:-1]
    if optimistic and (received := _ingest_received_at(line)) is not None:
        parsed.days.add(received[:10].decode())
        parsed.rows += 1
        parsed.copy_rows.append(b"\t".join((_copy_escape(line), escaped_key, b"%d" % number, received)))
        return
    value, reason = _json_object(line)
    if value is None:
        parsed.rejected.append((number, line, reason))
        return
    moment = parse_time(value.get(RECEIVED_AT_FIELD))
    received_at = copy_time(moment) if moment is not None else fallback
    parsed.days.add(received_at[:10])
    parsed.rows += 1
    parsed.copy_rows.append(b"\t".join((_copy_escape(line), escaped_key, b"%d" % number, received_at.encode())))


_RECEIVED_AT_KEY = f'"{RECEIVED_AT_FIELD}":"'.encode()


def _ingest_received_at(line: bytes) -> bytes | None:
    """``receivedAt`` when `line` has the ingest's shape: ``{...}`` with the canonical 24-character UTC time as its
    last ``receivedAt`` (the ingest writes its own fields after the client's). Anything else: None."""
    if line[:1] != b"{" or line[-1:] != b"}":
        return None
    at = line.rfind(_RECEIVED_AT_KEY)
    if at < 0:
        return None
    start = at + len(_RECEIVED_AT_KEY)
    end = start + STORED_TIME_LENGTH
    value = line[start:end]
    if not has_stored_shape(value) or line[end : end + 1] != b'"':
        return None
    return value


def _json_object(line: bytes) -> tuple[dict[str, Any] | None, str]:
    if not line.strip():
        return None, "empty line"
    if _LONG_NUMBER.search(line) and (reason := _numbers_out_of_range(line)):
        return None, reason
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as fast_error:
        # orjson refuses a few things JSON allows (integers beyond 64 bits, lone surrogate escapes): ask the
        # standard library before refusing the line.
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"not valid UTF-8 (byte {exc.start})"
        try:
            value = json.loads(text, parse_constant=_no_constants)
        except (ValueError, RecursionError):
            return None, f"not valid JSON: {fast_error}"
        if _has_text(value, _is_surrogate):
            return None, "holds an unpaired UTF-16 surrogate, which jsonb cannot store"
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
        return None, f"not a JSON object (it is {kind})"
    if b"\\u0000" in line and _has_text(value, lambda s: "\x00" in s):
        return None, "holds \\u0000, which jsonb cannot store"
    return value, ""


# A number whose exponent or digits run this long may be beyond what PostgreSQL's numeric (and so jsonb) holds;
# only such lines pay for the exact check.
_LONG_NUMBER = re.compile(rb"[eE][+-]?[0-9]{5,}|[0-9]{1000,}")
_NUMERIC_MAX_EXPONENT = 131_071
_NUMERIC_MIN_EXPONENT = -16_383


def _numbers_out_of_range(line: bytes) -> str:
    """Why jsonb would refuse a number in `line` (beyond numeric's range), or "" when every number fits."""

    def check(text: str) -> Decimal:
        number = Decimal(text)
        if number and not _NUMERIC_MIN_EXPONENT <= number.adjusted() <= _NUMERIC_MAX_EXPONENT:
            raise _OutOfRange(text[:40])
        return number

    try:
        json.loads(line, parse_float=check, parse_int=check, parse_constant=_no_constants)
    except _OutOfRange as exc:
        return f"holds the number {exc}, beyond the range jsonb (numeric) can store"
    except (ValueError, RecursionError):
        return ""  # not JSON at all: the ordinary parse says why
    return ""


class _OutOfRange(ValueError):
    pass


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _is_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _has_text(value: Any, test: Any) -> bool:
    if isinstance(value, str):
        return bool(test(value))
    if isinstance(value, dict):
        return any(test(k) or _has_text(v, test) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_text(item, test) for item in value)
    return False


def copy_time(moment: datetime) -> str:
    """`moment` as COPY's text for the ``received_at`` column (UTC, milliseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _copy_escape(text: bytes) -> bytes:
    """COPY's text format: backslash, tab, newline and carriage return are escaped; JSON text has no others."""
    if b"\\" in text:
        text = text.replace(b"\\", b"\\\\")
    if b"\t" in text:
        text = text.replace(b"\t", b"\\t")
    if b"\r" in text:
        text = text.replace(b"\r", b"\\r")
    return text
