"""Compaction's numbered lines: an object read in one chunk (the fast split) gives what it gives in many chunks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loader_lambda.compaction import ChunkReader, numbered_lines
from loader_lambda.streaming import MAX_LINE_BYTES, Overlong

pytestmark = pytest.mark.unit

OBJECTS = [
    b"",
    b"\n",
    b"a",
    b"a\n",
    b"a\n\nb",
    b'{"x":1}\n{"y":2}\n',
    b'{"x":1}\r\n{"y":2}\r\n\n',
    b"\n\n\n",
    b"x" * 300 + b"\n" + b"y" * 7,
]


def reader(data: bytes, chunk: int) -> ChunkReader:
    def chunks_of(key: str) -> Iterator[bytes]:
        return iter([data[i : i + chunk] for i in range(0, len(data), chunk)])

    return chunks_of


@pytest.mark.parametrize("data", OBJECTS, ids=range(len(OBJECTS)))
def test_one_chunk_and_many_chunks_give_the_same_numbered_lines(data: bytes) -> None:
    whole = list(numbered_lines(reader(data, max(len(data), 1)), "k"))
    for size in (1, 2, 5):
        assert list(numbered_lines(reader(data, size), "k")) == whole
    expected = data.split(b"\n")
    if expected[-1] == b"":  # a final newline ends the last line; an empty object has none
        expected.pop()
    assert [line for _, line in whole] == expected
    assert [number for number, _ in whole] == list(range(1, len(whole) + 1))


def test_a_single_chunk_over_the_line_limit_still_keeps_the_long_line_as_overlong() -> None:
    data = b"a\n" + b"z" * (MAX_LINE_BYTES + 10) + b"\nb\n"
    lines = list(numbered_lines(reader(data, len(data)), "k"))
    assert [number for number, _ in lines] == [1, 2, 3]
    assert lines[0][1] == b"a" and lines[2][1] == b"b"
    assert isinstance(lines[1][1], Overlong) and lines[1][1].size == MAX_LINE_BYTES + 10
