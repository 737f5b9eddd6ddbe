"""Lines read piece by piece: the same lines as splitting the whole object, an over-long line never held whole,
and gzip inflated as it streams with the same refusals as when it is read whole."""

from __future__ import annotations

import gzip
import hashlib
import random

import pytest

from loader_lambda.lines import read_lines
from loader_lambda.streaming import KEPT_PREFIX_BYTES, MAX_LINE_BYTES, Overlong, inflate_if_gzip, split_lines
from raw_store.gzip_bounded import InflatedTooLarge, InflateError

pytestmark = pytest.mark.unit


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize(
    "data",
    [b"", b"\n", b"a", b"a\n", b"a\nb", b"a\n\nb\n", b"\n\n", b'{"x":1}\r\n{"y":2}\n', b"one\ntwo\nthree\n\n"],
)
def test_lines_split_from_chunks_are_the_lines_of_the_whole(data: bytes, size: int) -> None:
    assert list(split_lines(pieces(data, size))) == read_lines(data)


def test_random_chunkings_agree_with_the_whole() -> None:
    rng = random.Random(7)
    for _ in range(200):
        data = bytes(rng.choice(b"ab\n") for _ in range(rng.randrange(0, 60)))
        cuts = sorted(rng.sample(range(len(data) + 1), k=min(len(data) + 1, rng.randrange(1, 6))))
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        assert list(split_lines(chunks)) == read_lines(data)


@pytest.mark.parametrize("chunk", [1000, 1 << 16, 1 << 20])
def test_a_line_over_the_limit_comes_out_as_its_prefix_size_and_hash(chunk: int) -> None:
    long = b"x" * (MAX_LINE_BYTES + 12_345)
    data = b"first\n" + long + b"\nlast\n"

    lines = list(split_lines(pieces(data, chunk)))

    assert lines[0] == b"first" and lines[2] == b"last" and len(lines) == 3
    assert lines[1] == Overlong(long[:KEPT_PREFIX_BYTES], len(long), hashlib.sha256(long).hexdigest())
    assert isinstance(lines[1], Overlong)
    assert f"{len(long)} bytes" in lines[1].reason and hashlib.sha256(long).hexdigest() in lines[1].reason


def test_a_line_at_the_limit_is_a_line_and_an_unterminated_long_tail_is_overlong() -> None:
    at_limit = b"y" * MAX_LINE_BYTES
    tail = b"z" * (MAX_LINE_BYTES + 1)
    lines = list(split_lines(pieces(at_limit + b"\n" + tail, 1 << 16)))
    assert lines[0] == at_limit
    assert isinstance(lines[1], Overlong) and lines[1].size == len(tail)


def test_gzip_is_inflated_across_chunks_and_members() -> None:
    plain = b"".join(b'{"n":%d}\n' % n for n in range(2000))
    data = gzip.compress(plain[:5000]) + gzip.compress(plain[5000:])
    for size in (1, 5, 4096):
        assert b"".join(inflate_if_gzip(pieces(data, size), 1 << 30)) == plain
    assert b"".join(inflate_if_gzip(pieces(plain, 3), 10)) == plain  # not gzip: passed through, no ceiling


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gzip.compress(b"a" * 5000 + b"\n")[:-10], "truncated"),
        (b"\x1f\x8b" + b"garbage" * 10, "does not inflate"),
        (gzip.compress(b"a\n") + b"junk", "trailing data"),
    ],
)
def test_unreadable_gzip_is_refused_as_when_read_whole(data: bytes, message: str) -> None:
    with pytest.raises(InflateError, match=message):
        b"".join(inflate_if_gzip(pieces(data, 3), 1 << 30))
    assert isinstance(read_lines(data), str)


def test_gzip_inflating_past_the_ceiling_stops_there() -> None:
    with pytest.raises(InflatedTooLarge):
        for _ in inflate_if_gzip(pieces(gzip.compress(b"0" * (8 << 20)), 1 << 16), 4 << 20):
            pass
