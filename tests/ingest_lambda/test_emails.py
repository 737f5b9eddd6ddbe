"""No raw e-mail address is written, in any spelling (ingest_lambda/emails.py), wherever it travels.

Each spelling goes through the real handler four ways (an event property, a refused event, the user agent and a
refused body) and must not appear in anything stored under ``events/`` or ``rejected/``; where it was stored the
event holds exactly the token of the address's one normal form, so one person still maps to one token.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.fakes import MemoryStore

from ingest_lambda import emails
from ingest_lambda.handler import handler
from ingest_lambda.privacy import Pseudonymizer

pytestmark = pytest.mark.unit

PSEUDO = Pseudonymizer("test-salt")  # the memory_store fixture's salt
ANN = "ann@example.com"

# (spelling, the address it spells in normal form)
SPELLINGS = [
    # plain, and the shapes the old pattern already knew
    ("ann@example.com", ANN),
    ("Ann.Lee@Example.COM", "ann.lee@example.com"),
    ("ANN@EXAMPLE.COM", ANN),
    ("first.last+tag@mail.example.co.uk", "first.last+tag@mail.example.co.uk"),
    ("ann_lee-99@sub-domain.example.org", "ann_lee-99@sub-domain.example.org"),
    ("o'brien@example.ie", "o'brien@example.ie"),
    ("a@b.co", "a@b.co"),
    ("ann@example.photography", "ann@example.photography"),
    # more than 9 labels
    ("ann@a.b.c.d.e.f.g.h.i.j.example.com", "ann@a.b.c.d.e.f.g.h.i.j.example.com"),
    (
        "ann@x1.x2.x3.x4.x5.x6.x7.x8.x9.x10.x11.x12.example.museum",
        "ann@x1.x2.x3.x4.x5.x6.x7.x8.x9.x10.x11.x12.example.museum",
    ),
    ('"ann smith"@example.com', '"ann smith"@example.com'),
    ("😀ann@example.com", "😀ann@example.com"),
    # internationalised local parts and domains (RFC 6531)
    ("josé@example.com", "josé@example.com"),
    ("jose\u0301@example.com", "josé@example.com"),
    ("ann@bücher.de", "ann@bücher.de"),
    ("müller@münchen.de", "müller@münchen.de"),
    ("用户@例子.广告", "用户@例子.广告"),
    ("用户@例子。广告", "用户@例子.广告"),
    ("Δοκιμή@παράδειγμα.δοκιμή", "δοκιμή@παράδειγμα.δοκιμή"),
    ("иван@пример.рф", "иван@пример.рф"),
    ("राम@उदाहरण.भारत", "राम@उदाहरण.भारत"),
    ("ユーザー@例え.テスト", "ユーザー@例え.テスト"),
    ("أحمد@مثال.مصر", "أحمد@مثال.مصر"),
    ("ann@xn--bcher-kva.de", "ann@xn--bcher-kva.de"),
    # IP literals and dotted IPs
    ("ann@[192.0.2.1]", "ann@[192.0.2.1]"),
    ("ann@[IPv6:2001:db8::1]", "ann@[ipv6:2001:db8::1]"),
    ("ann@[IPv6:::ffff:192.0.2.1]", "ann@[ipv6:::ffff:192.0.2.1]"),
    ("ann@192.0.2.1", "ann@192.0.2.1"),
    # percent-encoding, once or more
    ("ann%40example.com", ANN),
    ("ann%2540example.com", ANN),
    ("ann%252540example.com", ANN),
    ("ann%25252540example.com", ANN),
    ("jos%C3%A9%40example.com", "josé@example.com"),
    ("ann%40b%C3%BCcher.de", "ann@bücher.de"),
    ("ann%40example%2Ecom", ANN),
    ("ann%EF%BC%A0example.com", ANN),
    ("ann%25EF%25BC%25A0example.com", ANN),
    ("ann%EF%B9%ABexample.com", ANN),
    ("ann%u0040example.com", ANN),
    ("ann+tag%2Bx@example.com", "ann+tag+x@example.com"),
    # invisible characters anywhere
    ("ann\u200b@example.com", ANN),
    ("an\u200cn@example.com", ANN),
    ("ann@exa\u200dmple.com", ANN),
    ("ann\u2060@example.com", ANN),
    ("\ufeffann@example.com", ANN),
    ("ann@exam\u00adple.com", ANN),
    ("ann\u00ad@example.com", ANN),
    ("ann\u0000@example.com", ANN),
    ("ann@example\u200b.com", ANN),
    ("ann\u202e@example.com", ANN),
    ("ann\ufe0f@example.com", ANN),
    ("a\u200bn\u200bn\u200b@\u200be\u200bx\u200bample.com", ANN),
    # other at signs
    ("ann\uff20example.com", ANN),
    ("ann\ufe6bexample.com", ANN),
    ("ann\\u0040example.com", ANN),
    ("ann\\uFF20example.com", ANN),
    ("ann\\\\u0040example.com", ANN),
    ("ann&#64;example.com", ANN),
    ("ann&#x40;example.com", ANN),
    ("ann&commat;example.com", ANN),
    # fullwidth and other compatibility forms
    ("ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", ANN),  # noqa: RUF001
    ("ann@example．com", ANN),  # noqa: RUF001
    ("ann@example｡com", ANN),
    # in context
    ("mailto:ann@example.com", ANN),
    ("https://shop.example/?email=ann%40example.com&x=1", ANN),
    ("<ann@example.com>", ANN),
    ("(ann@example.com)", ANN),
    ("ann@example.com.", ANN),
]
assert len(SPELLINGS) >= 60
# What the scrub leaves of the spellings that carry context around the address.
AROUND = {
    "mailto:ann@example.com": ("mailto:", ""),
    "https://shop.example/?email=ann%40example.com&x=1": ("https://shop.example/?email=", "&x=1"),
    "<ann@example.com>": ("<", ">"),
    "(ann@example.com)": ("(", ")"),
    "ann@example.com.": ("", "."),
}


def _gateway_event(body: str, user_agent: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "headers": {"content-type": "application/json", "user-agent": user_agent},
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "email-req",
            "timeEpoch": 1_765_000_000_000,
            "http": {"method": "POST", "path": "/clickstream", "sourceIp": "198.51.100.7", "userAgent": user_agent},
        },
    }


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [key, *_strings(item)]]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _send_everywhere(store: MemoryStore, context: Any, spelling: str, ensure_ascii: bool) -> dict[str, Any]:
    """The spelling in a stored event, a refused event, the user agent and a refused body; returns the event."""
    valid = {"eventName": "click", "clientId": "c-1", "eventId": "e-1", "properties": {"note": f"see {spelling} now"}}
    refused = {"eventName": "click", "clientId": "c-1", "colour": f"see {spelling} now"}
    user_agent = f"Mozilla/5.0 (Linux; Android 10; {spelling}) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
    body = json.dumps({"events": [valid, refused]}, ensure_ascii=ensure_ascii)
    assert handler(_gateway_event(body, user_agent), context)["statusCode"] == 200
    assert handler(_gateway_event(f"not json: see {spelling} now", user_agent), context)["statusCode"] == 400
    [event] = store.lines("events/")
    return event


def _written(store: MemoryStore) -> list[str]:
    return [text for prefix in ("events/", "rejected/") for line in store.lines(prefix) for text in _strings(line)]


@pytest.mark.parametrize("ensure_ascii", [False, True], ids=["utf8", "escaped"])
@pytest.mark.parametrize(("spelling", "address"), SPELLINGS)
def test_no_spelling_of_an_address_is_written(
    memory_store: MemoryStore, lambda_context: Any, spelling: str, address: str, ensure_ascii: bool
) -> None:
    memory_store.objects.clear()
    event = _send_everywhere(memory_store, lambda_context, spelling, ensure_ascii)

    token = PSEUDO.email_token(address)
    before, after = AROUND.get(spelling, ("", ""))
    assert event["properties"]["note"] == f"see {before}{token}{after} now"
    assert event["device"]["model"] in (None, token) or spelling not in event["device"]["model"]
    raw_forms = {spelling, unicodedata.normalize("NFKC", spelling), address}
    written = _written(memory_store)
    assert len(memory_store.lines("rejected/")) == 2
    for text in written:
        for raw in raw_forms:
            assert raw not in text, (raw, text)


def test_the_token_does_not_depend_on_the_spelling() -> None:
    tokens = {
        PSEUDO.email_token(spelling) for spelling, address in SPELLINGS if address == ANN and spelling not in AROUND
    }
    assert tokens == {PSEUDO.email_token(ANN)}


def test_device_model_never_holds_an_address(memory_store: MemoryStore, lambda_context: Any) -> None:
    # ua-parser copies the token after "Android 10;" into device.model: it must see the scrubbed user agent.
    body = json.dumps({"eventName": "click", "clientId": "c-1"})
    user_agent = "Mozilla/5.0 (Linux; Android 10; ann@example.com) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
    assert handler(_gateway_event(body, user_agent), lambda_context)["statusCode"] == 200
    [event] = memory_store.lines("events/")
    assert event["device"]["model"] == PSEUDO.email_token(ANN)
    assert "ann@example.com" not in json.dumps(event)


def test_a_subject_claim_that_is_an_address_is_scrubbed(memory_store: MemoryStore, lambda_context: Any) -> None:
    event = _gateway_event(json.dumps({"eventName": "click", "clientId": "c-1"}), "x")
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": "ann@example.com"}}}
    assert handler(event, lambda_context)["statusCode"] == 200
    [line] = memory_store.lines("events/")
    assert line["userId"] == PSEUDO.email_token(ANN)


# --- the body pre-check ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("spelling", "address"), SPELLINGS)
def test_the_body_pre_check_lets_every_spelling_through(spelling: str, address: str) -> None:
    for ensure_ascii in (False, True):
        body = json.dumps({"note": spelling}, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
        assert emails.body_may_hold_address(body)
    assert emails.may_hold_address(spelling)


@pytest.mark.parametrize("text", ["plain title", "https://shop.example/search?q=red%20shoes", "50% off"])
def test_the_pre_checks_pass_over_plain_text(text: str) -> None:
    assert not emails.may_hold_address(text)
    assert not emails.body_may_hold_address(json.dumps({"t": text}).encode())


# --- linear work -------------------------------------------------------------------------------------------------

HOSTILE = {
    "local run": "a" * 50_000 + "@",
    "many percent ats": "a%40" * 20_000,
    "many short domains": "@a." * 20_000,
    "many addresses": "a@a.co " * 10_000,
    "percent layers": "%25" * 20_000 + "40a.com",
    "backslashes": "a" + "\\" * 50_000 + "u0040b.com",
    "local then addresses": "a" * 20_000 + "@b.com " + "c@d.io " * 5_000,
}


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_the_scan_reads_each_character_a_bounded_number_of_times(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    # The Python-level work of the scan: the windows its backward local-part runs may read, and the text it
    # normalises. Both must add up to a small multiple of the text, whatever the text (the regular expressions
    # it runs are possessive and so read each character once per attempt: see ingest_lambda/emails.py).
    windows: list[int] = []
    normalised: list[int] = []
    real_local_start = emails.local_part_start
    real_normalise = emails.normalise_address

    def local_start(text: str, reversed_text: str, at_start: int, floor: int) -> int | None:
        windows.append(at_start - floor)
        return real_local_start(text, reversed_text, at_start, floor)

    def normalise(part: str) -> str:
        normalised.append(len(part))
        return real_normalise(part)

    monkeypatch.setattr(emails, "local_part_start", local_start)
    monkeypatch.setattr(emails, "normalise_address", normalise)
    found = list(emails.find_addresses(text))

    assert sum(windows) <= len(text)
    assert sum(normalised) <= len(text)
    assert len(found) <= len(list(emails.AT_SIGN.finditer(text)))


# --- generated addresses ------------------------------------------------------------------------------------------


def _plain_after_nfkc(char: str) -> bool:
    """A character that stays one word character after NFKC (no ligature that opens into spaces or signs)."""
    folded = unicodedata.normalize("NFKC", char)
    return bool(folded) and folded.isalnum() and folded.lower().isalnum()


word_chars = st.characters(categories=["Ll", "Lu", "Lo", "Nd"]).filter(_plain_after_nfkc)
ascii_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
unicode_word = st.text(alphabet=word_chars, min_size=1, max_size=8)
local_parts = st.lists(st.one_of(ascii_word, unicode_word), min_size=1, max_size=3).map(".".join)
labels = st.one_of(ascii_word, unicode_word)
domains = st.one_of(
    st.lists(labels, min_size=2, max_size=14).map(".".join),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda ip: "[" + ".".join(map(str, ip)) + "]"),
    st.sampled_from(["[IPv6:2001:db8::1]", "[IPv6:::1]"]),
)
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u0000", "\u202e"]
AT_SPELLINGS = ["@", "\uff20", "\ufe6b", "%40", "%2540", "%252540", "\\u0040", "&#64;", "%EF%BC%A0"]


@st.composite
def spelled_addresses(draw: st.DrawFn) -> tuple[str, str]:
    """(how the address is written, the address) with invisible characters and any spelling of the at sign."""
    local, domain = draw(local_parts), draw(domains)
    hidden_local, hidden_domain = local, domain
    # Anywhere in the address but inside a multi-character spelling of the at sign (no decoder reads "%\u200b40"
    # as an at sign) and after its last character (an invisible character there is left beside the token).
    for _ in range(draw(st.integers(0, 3))):
        invisible = draw(st.sampled_from(INVISIBLES))
        if draw(st.booleans()):
            at = draw(st.integers(0, len(hidden_local)))
            hidden_local = hidden_local[:at] + invisible + hidden_local[at:]
        else:
            at = draw(st.integers(0, len(hidden_domain) - 1))
            hidden_domain = hidden_domain[:at] + invisible + hidden_domain[at:]
    spelled = hidden_local + draw(st.sampled_from(AT_SPELLINGS)) + hidden_domain
    if draw(st.booleans()):
        layers = draw(st.integers(1, 3))
        encoded = "".join(f"%{byte:02X}" for byte in local.encode()) + "%40" + domain
        for _ in range(layers - 1):
            encoded = encoded.replace("%", "%25")
        spelled = encoded
    return spelled, f"{local}@{domain}"


@settings(max_examples=300, deadline=None)
@given(spelled_addresses())
def test_a_generated_address_becomes_exactly_one_token(case: tuple[str, str]) -> None:
    spelled, address = case
    scrubbed = PSEUDO.scrub_text(f"write to {spelled} today")
    assert scrubbed == f"write to {PSEUDO.email_token(address)} today"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spelled_addresses())
def test_a_generated_address_is_never_written(
    memory_store: MemoryStore, lambda_context: Any, case: tuple[str, str]
) -> None:
    spelled, address = case
    memory_store.objects.clear()
    _send_everywhere(memory_store, lambda_context, spelled, ensure_ascii=False)
    for text in _written(memory_store):
        assert spelled not in text
        assert address not in text


scan_alphabet = st.one_of(
    st.characters(codec="utf-8"),
    st.characters(),  # lone surrogates too
    st.sampled_from(["@", "%", "2", "5", "4", "0", "E", "F", "u", "\\", "&", "#", ".", "[", "]", '"', *INVISIBLES]),
    st.sampled_from(AT_SPELLINGS),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(scan_alphabet, max_size=60).map("".join))
def test_the_scan_never_raises_and_finds_ordered_disjoint_spans(text: str) -> None:
    PSEUDO.scrub_text(text)
    previous_end = 0
    for start, end, address in emails.find_addresses(text):
        assert previous_end <= start < end <= len(text)
        assert "@" in address
        previous_end = end
