"""Pseudonymisation (ingest_lambda/privacy.py): keyed IP hashes and e-mail tokens."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest_lambda.privacy import Pseudonymizer, canonical_by_ipaddress, canonical_ip

pytestmark = pytest.mark.unit

TOKEN = re.compile(r"email:[0-9a-f]{32}")


@pytest.fixture
def pseudo() -> Pseudonymizer:
    return Pseudonymizer("test-salt")


def test_empty_salt_is_refused() -> None:
    with pytest.raises(ValueError, match="salt must not be empty"):
        Pseudonymizer("")


def test_same_salt_gives_the_same_token() -> None:
    assert Pseudonymizer("s1").email_token("a@b.com") == Pseudonymizer("s1").email_token("a@b.com")
    assert Pseudonymizer("s1").ip_hash("203.0.113.1") == Pseudonymizer("s1").ip_hash("203.0.113.1")


def test_different_salt_gives_a_different_token() -> None:
    assert Pseudonymizer("s1").email_token("a@b.com") != Pseudonymizer("s2").email_token("a@b.com")
    assert Pseudonymizer("s1").ip_hash("203.0.113.1") != Pseudonymizer("s2").ip_hash("203.0.113.1")


def test_different_addresses_give_different_tokens(pseudo: Pseudonymizer) -> None:
    assert pseudo.email_token("a@b.com") != pseudo.email_token("c@b.com")


def test_email_token_shape(pseudo: Pseudonymizer) -> None:
    assert TOKEN.fullmatch(pseudo.email_token("a@b.com"))


def test_email_token_is_case_insensitive(pseudo: Pseudonymizer) -> None:
    assert pseudo.email_token("John.Doe@Example.com") == pseudo.email_token("john.doe@example.com")


def test_email_token_is_the_same_url_encoded_or_not(pseudo: Pseudonymizer) -> None:
    assert pseudo.email_token("a%40b.com") == pseudo.email_token("a@b.com")


def test_email_and_ip_domains_are_separated(pseudo: Pseudonymizer) -> None:
    # The same string hashed as an IP and as an address must not give comparable values.
    assert pseudo.email_token("x@y.com").removeprefix("email:") != pseudo.ip_hash("x@y.com")


# --- ip_hash --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ip", ["203.0.113.1", "2001:db8::1", "10.0.0.1"])
def test_ip_hash_is_32_hex_characters_without_the_ip(pseudo: Pseudonymizer, ip: str) -> None:
    digest = pseudo.ip_hash(ip)
    assert re.fullmatch(r"[0-9a-f]{32}", digest)
    assert ip not in digest


def test_ip_hash_ignores_case_and_surrounding_space(pseudo: Pseudonymizer) -> None:
    assert pseudo.ip_hash(" 2001:DB8::1 ") == pseudo.ip_hash("2001:db8::1")


def test_different_ips_hash_differently(pseudo: Pseudonymizer) -> None:
    assert pseudo.ip_hash("203.0.113.1") != pseudo.ip_hash("203.0.113.2")


@pytest.mark.parametrize(
    "spellings",
    [
        ["2001:db8::1", "2001:0db8:0:0::1", "2001:DB8:0000:0000:0000:0000:0000:0001", " 2001:db8::0:1 "],
        ["192.0.2.1", "::ffff:192.0.2.1", "::FFFF:c000:0201", "0:0:0:0:0:ffff:192.0.2.1"],
    ],
)
def test_one_address_has_one_ip_hash_whatever_its_spelling(pseudo: Pseudonymizer, spellings: list[str]) -> None:
    assert len({pseudo.ip_hash(spelling) for spelling in spellings}) == 1


def test_the_canonical_forms_are_the_compressed_ones() -> None:
    assert canonical_ip("2001:0db8:0:0::1") == "2001:db8::1"
    assert canonical_ip("::ffff:192.0.2.1") == "192.0.2.1"
    assert canonical_ip(" Not-An-IP ") == "not-an-ip"


_PART = st.one_of(
    st.integers(0, 300).map(str),
    st.integers(0, 99).map(lambda n: f"0{n}"),
    st.sampled_from(["", " ", "x", "\u0661", "256", "1e1"]),
)


@given(parts=st.lists(_PART, min_size=3, max_size=5), around=st.sampled_from(["", " ", "\n", "\t"]))
def test_ipv4_spellings_are_canonical_as_ipaddress_makes_them(parts: list[str], around: str) -> None:
    # The shortcut takes a dotted quad as is only when ipaddress would give the same text back.
    for ip in (".".join(parts), around + ".".join(parts), ".".join(parts) + around):
        assert canonical_ip(ip) == canonical_by_ipaddress(ip)


def test_an_ipv4_and_its_mapped_form_are_not_confused_with_other_addresses(pseudo: Pseudonymizer) -> None:
    assert pseudo.ip_hash("::ffff:192.0.2.1") != pseudo.ip_hash("::192.0.2.1")
    assert pseudo.ip_hash("192.0.2.1") != pseudo.ip_hash("2001:db8::1")


# --- scrub ----------------------------------------------------------------------------------------------------


def test_email_inside_a_sentence_is_replaced(pseudo: Pseudonymizer) -> None:
    out = pseudo.scrub("contact me at John.Doe@Example.com please")
    assert out == f"contact me at {pseudo.email_token('john.doe@example.com')} please"
    assert "@" not in out
    assert "John" not in out


def test_url_encoded_email_in_a_query_string_is_replaced(pseudo: Pseudonymizer) -> None:
    out = pseudo.scrub("https://shop.example/checkout?email=a%40b.com&step=2")
    assert out == f"https://shop.example/checkout?email={pseudo.email_token('a@b.com')}&step=2"


def test_plain_email_in_a_query_string_is_replaced(pseudo: Pseudonymizer) -> None:
    out = pseudo.scrub("https://shop.example/?email=first.last+tag@mail.example.co.uk&x=1")
    assert out == f"https://shop.example/?email={pseudo.email_token('first.last+tag@mail.example.co.uk')}&x=1"


def test_several_emails_in_one_string(pseudo: Pseudonymizer) -> None:
    out = pseudo.scrub("a@b.com, c@d.org")
    assert out == f"{pseudo.email_token('a@b.com')}, {pseudo.email_token('c@d.org')}"


def test_trailing_sentence_dot_is_not_part_of_the_address(pseudo: Pseudonymizer) -> None:
    assert pseudo.scrub("write to a@b.com.") == f"write to {pseudo.email_token('a@b.com')}."


def test_keys_and_nested_values_are_scrubbed(pseudo: Pseudonymizer) -> None:
    token = pseudo.email_token("a@b.com")
    value = {"userId": "a@b.com", "properties": {"a@b.com": "x", "list": ["to: A@B.com", 1, None, True]}}
    assert pseudo.scrub(value) == {
        "userId": token,
        "properties": {token: "x", "list": [f"to: {token}", 1, None, True]},
    }


def test_scrub_does_not_mutate_its_input(pseudo: Pseudonymizer) -> None:
    value = {"userId": "a@b.com"}
    pseudo.scrub(value)
    assert value == {"userId": "a@b.com"}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("@home", id="handle"),
        pytest.param("user@localhost", id="no-dot-in-domain"),  # a domain needs two labels
        pytest.param("aaa@", id="no-domain"),
        pytest.param("@example.com", id="no-local-part"),
        pytest.param("a@.", id="dot-only-domain"),
        pytest.param("50%off", id="percent"),
        pytest.param("100%25 cotton", id="percent-encoded-percent"),
        pytest.param("https://shop.example/search?q=red%20shoes&x=%E2%80%99", id="url"),
        pytest.param("no address here", id="plain"),
    ],
)
def test_strings_that_are_not_addresses_are_left_alone(pseudo: Pseudonymizer, text: str) -> None:
    assert pseudo.scrub(text) == text


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a@b.c", id="one-letter-tld"),
        pytest.param("email@123.123.123.123", id="dotted-ip-domain"),
        pytest.param("a@-b.com", id="label-starting-with-hyphen"),
    ],
)
def test_doubtful_addresses_are_scrubbed(pseudo: Pseudonymizer, text: str) -> None:
    # When in doubt the text is scrubbed: a false positive costs a few characters, a false negative an address.
    assert TOKEN.fullmatch(pseudo.scrub(text))


def test_non_strings_pass_through(pseudo: Pseudonymizer) -> None:
    assert pseudo.scrub(12) == 12
    assert pseudo.scrub(None) is None
    assert pseudo.scrub(1.5) == 1.5
