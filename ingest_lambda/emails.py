"""Find e-mail addresses in any spelling, in time linear in the text, so that none is ever written raw.

An address is found around its ``@``, whatever form the ``@`` takes: the plain sign, its fullwidth (U+FF20) and
small (U+FE6B) forms, percent-encoded any number of times (``%40``, ``%2540``...), the UTF-8 percent-encoding of
those forms, a JSON escape (``\\u0040``, as a refused body's raw text holds it) or an HTML entity (``&#64;``).
Around it, on the left, a local part of any script (RFC 6531: ``josé``, ``用户``), percent-encoded or not, or a
quoted one (``"ann smith"``); on the right a domain of two labels or more in any script (``bücher.de``,
``例子.广告``, any number of labels) or an IP literal (``[192.0.2.1]``, ``[IPv6:2001:db8::1]``). Invisible
characters (zero-width space and joiners, soft hyphen, word joiner, BOM, bidi controls, NUL and U+FFFD, which is
what the text module turns a NUL into) may sit anywhere in it. When in doubt the text is scrubbed: a false
positive costs a few characters of analytics text, a false negative a person's address.

Not undone: an invisible character inside an escape (``%\\u200b40``), which no decoder reads as an at sign.

Linear time, by construction. One forward search finds each at sign followed by a dotted domain: every repeat
in it is possessive (it never gives characters back), and a domain cannot contain any spelling of an at sign, so
no two attempts read the same domain (every other position fails at its first character). The local part is
read backwards (a match on the reversed text), never past the end of the previous address. So each character is
read a bounded number of times, whatever the text; a 1 MiB ``aaa...@`` costs one backward run
(docs/benchmarks.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Characters that show nothing and so can hide inside an address: C0 controls other than white space, soft
# hyphen, combining grapheme joiner, Arabic letter mark, Hangul fillers, Khmer inherent vowels, Mongolian
# selectors, zero-width space/joiners and direction marks, bidi embeddings, word joiner and invisible operators,
# variation selectors, BOM, interlinear annotations, U+FFFC/U+FFFD, tags.
INVISIBLE = (
    "\x00-\x08\x0e-\x1b\x7f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffd\U000e0000-\U000e0fff"
)
# Punctuation that ends a word in any script: general punctuation (less the invisibles above), arrows and
# symbols, CJK brackets and commas, vertical, small and fullwidth forms (less fullwidth + - . which are address
# characters after NFKC, and less the ideographic full stops, which are domain dots).
_UNICODE_PUNCT = (
    "\u2010-\u2029\u202f-\u205f\u2190-\u2bff\u3000\u3001\u3003\u3008-\u3011\u3014-\u301f\ufe10-\ufe19"
    "\ufe30-\ufe6b\uff01-\uff0a\uff0c\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff60\uff62-\uff65"
)
# A local-part character: anything but white space, the ASCII signs that end an address in text (a URL's ?=&/,
# quotes, brackets) and Unicode punctuation. Backslash and % stay: they spell escapes.
_LOCAL_CHAR = f'[^\\s"(),/:;<=>?@\\[\\]`{{|}}&{_UNICODE_PUNCT}\u3002\uff61]'
_LOCAL_RUN = re.compile(f"{_LOCAL_CHAR}*")
# A domain character: the same, less the local part's extra signs; an escape only where it spells a non-ASCII
# character of an internationalised label (but never an at sign: %EF..., \uFF20 and \uFE6B are left to _AT).
_LABEL_CHAR = (
    f"[^\\s\"(),/:;<=>?@\\[\\]`{{|}}&!#$%'*+\\\\^~.{_UNICODE_PUNCT}\u3002\uff0e\uff61\ufe52]"
    r"|%(?:25)*+(?:[89A-Da-d][0-9A-Fa-f]|[Ee][0-9A-Ea-e]|[Ff][0-9A-Fa-f])"
    r"|\\++u(?![Ff][Ff]20|[Ff][Ee]6[Bb])(?:00[89A-Fa-f][0-9A-Fa-f]|0[1-9A-Fa-f][0-9A-Fa-f]{2}|[1-9A-Fa-f][0-9A-Fa-f]{3})"
)
_DOT = r"[.\u3002\uff0e\uff61\ufe52]|%(?:25)*+2[Ee]|\\++u002[Ee]"
_IP_LITERAL = f"[{INVISIBLE}]*+" r"\[[^\]\s@\"<>\[]{2,100}\]"
_DOMAIN_TRAILER = "-_" + "".join(
    chr(c) for c in (0x00AD, 0x034F, 0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0xFFFD)
)
_QUOTED_LOCAL_MAX = 256

# Every spelling of the at sign, percent layers and all. (?:25)*+ is possessive: it never gives back a "25"; a
# run of backslashes is tried from its first one only, so that a long run is read once, not once per backslash.
_AT = (
    "@|\uff20|\ufe6b"
    r"|%(?:25)*+(?:40|[Uu](?:0040|[Ff][Ff]20|[Ff][Ee]6[Bb])"
    r"|[Ee][Ff]%(?:25)*+(?:[Bb][Cc]%(?:25)*+[Aa]0|[Bb]9%(?:25)*+[Aa][Bb]))"
    r"|(?<!\\)\\++u(?:0040|[Ff][Ff]20|[Ff][Ee]6[Bb])"
    r"|&#(?:0*+64|[Xx]0*+40);|&commat;"
)
AT_SIGN = re.compile(_AT)
# An at sign followed by a domain of two labels or more, or by an IP literal. Every repeat is possessive, so a
# failed attempt gives nothing back: the search is one forward pass, and only an at sign with a dotted domain
# after it costs any Python work.
_AT_AND_DOMAIN = re.compile(
    f"(?P<at>{_AT})(?:(?:{_DOT})*+(?:{_LABEL_CHAR})++(?:(?:{_DOT})++(?:{_LABEL_CHAR})++)++|{_IP_LITERAL})"
)
# The same test on a raw body, before it is parsed: any JSON escape may spell an at sign (or a percent or a
# backslash that then does), so any escape counts. Substring tests first; the one pattern starts with a literal,
# which the regex engine finds with a fast search instead of trying every position.
_FULLWIDTH_AT, _SMALL_AT = "\uff20".encode(), "\ufe6b".encode()
_BODY_ESCAPE = re.compile(rb"\\u")
_BODY_ENTITY = re.compile(rb"&(?:#|commat;)")
_BODY_PERCENT_AT = re.compile(rb"%(?:25)*+(?:40|[Uu]|[Ee][Ff])")

# A JSON escape as text (a refused body's sample holds them) or JavaScript's escape() form, %u0040.
_UNICODE_ESCAPE = re.compile(r"(?<!\\)\\++u([0-9A-Fa-f]{4})|%(?:25)*+[Uu]([0-9A-Fa-f]{4})")
_PERCENT_RUN = re.compile(r"(?:%(?:25)*+[0-9A-Fa-f]{2})+")
_PERCENT_ONE = re.compile(r"%(?:25)*+([0-9A-Fa-f]{2})")
_HTML_AT = re.compile(r"&#(?:0*64|[Xx]0*40);|&commat;")
_DROP_INVISIBLE = re.compile(f"[{INVISIBLE}]")


def may_hold_address(text: str) -> bool:
    """False only when `text` certainly holds no spelling of ``@`` (every one in _AT contains one of these
    substrings): a few substring tests, cheap on plain text and on a URL's %20."""
    if "@" in text:
        return True
    if "%" in text or "\\" in text or "&" in text or "\uff20" in text or "\ufe6b" in text:
        return (
            "%40" in text
            or "%25" in text
            or "%u" in text
            or "%U" in text
            or "%e" in text
            or "%E" in text
            or "\\u" in text
            or "&#" in text
            or "&commat;" in text
            or "\uff20" in text
            or "\ufe6b" in text
        )
    return False


def body_may_hold_address(body: bytes) -> bool:
    """False only when no string parsed from this JSON body can hold an address."""
    if b"@" in body:
        return True
    # One-byte searches (memchr) first: a body without %, \\, & or a three-byte UTF-8 lead costs four scans.
    # A regex, not `b"\\u" in body`: CPython's search for two bytes is several times slower (ingest_lambda.text).
    if b"\\" in body and _BODY_ESCAPE.search(body) is not None:
        return True
    if b"&" in body and _BODY_ENTITY.search(body) is not None:
        return True
    if b"\xef" in body and (_FULLWIDTH_AT in body or _SMALL_AT in body):
        return True
    return b"%" in body and _BODY_PERCENT_AT.search(body) is not None


def normalise_address(text: str) -> str:
    """The one form an address is hashed in: escapes undone, percent-decoded (all layers), NFKC, without
    invisible characters, lower-case, no dot at either end of the domain."""
    if text.isascii() and text.isprintable() and "%" not in text and "\\" not in text and "&" not in text:
        text = text.strip().lower()
        local, at, domain = text.rpartition("@")
        return local + "@" + domain.strip(".-") if at else text
    text = _UNICODE_ESCAPE.sub(_unescape, text)
    for _ in range(4):
        if "%" not in text:
            break
        decoded = _PERCENT_RUN.sub(_unquote_run, text)
        if decoded == text:
            break
        text = decoded
    text = _HTML_AT.sub("@", text)
    text = _DROP_INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).strip().lower()
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    return local + "@" + domain.replace("\u3002", ".").strip(".-")


def find_addresses(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, normalised address) of each address in `text`, left to right, not overlapping."""
    if not may_hold_address(text):
        return
    reversed_text = ""
    floor = 0  # the local part of the next address starts at or after here: the end of the previous one
    for found in _AT_AND_DOMAIN.finditer(text):
        at_start, at_end = found.span("at")
        end = at_end + len(text[at_end : found.end()].rstrip(_DOMAIN_TRAILER))
        if not reversed_text:
            reversed_text = text[::-1]
        start = local_part_start(text, reversed_text, at_start, floor)
        if start is None:
            continue
        address = normalise_address(text[start:end])
        local, _, domain = address.rpartition("@")
        if local.strip('"') and ("." in domain or domain.startswith("[")):
            yield start, end, address
            floor = end


def local_part_start(text: str, reversed_text: str, at_start: int, floor: int) -> int | None:
    """Where the local part before the at sign at `at_start` starts; None if there is none."""
    size = len(text)
    run = _LOCAL_RUN.match(reversed_text, size - at_start, size - floor)
    length = run.end() - run.start() if run else 0
    if length:
        return at_start - length
    if at_start - 1 > floor and text[at_start - 1] == '"':
        opening = text.rfind('"', max(floor, at_start - 1 - _QUOTED_LOCAL_MAX), at_start - 1)
        if opening >= 0 and opening + 1 < at_start - 1:
            return opening
    return None


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1) or match.group(2), 16))


def _unquote_run(match: re.Match[str]) -> str:
    data = bytes(int(one.group(1), 16) for one in _PERCENT_ONE.finditer(match.group(0)))
    return data.decode("utf-8", "replace")
