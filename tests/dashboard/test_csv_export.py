"""The CSV the "Download CSV" controls serve: full precision, named columns, money with its currency, and text a
spreadsheet would run as a formula made inert."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.csv_export import cell, columns_of, csv_filename, to_csv
from dashboard.filters import Filters
from dashboard.pages.csv_download import csv_file
from dashboard.pages.loading import Problem

pytestmark = pytest.mark.unit


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tcmd", "\r=1", "=cmd|' /C calc'!A0"]
)
def test_a_text_a_spreadsheet_would_run_is_written_as_text(text: str) -> None:
    assert cell(text) == "'" + text
    (row,) = read(to_csv([{"page_path": text}], {"page_path": "page_path"}))[1:]
    assert row == ["'" + text]


@pytest.mark.parametrize("text", ["/products/42", "Organic Search", "", "a=b", "mail@example.com", "(not set)"])
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert cell(text) == text


def test_numbers_keep_every_digit_and_their_sign() -> None:
    # What the page rounds (38.3%, 1,234.57) the file keeps whole; a negative number is a number, not a formula.
    assert cell(0.38349999999999995) == "0.38349999999999995"
    assert cell(1234.5678) == "1234.5678"
    assert cell(-3.25) == "-3.25"
    assert cell(-7) == "-7"
    assert cell(12_345_678) == "12345678"  # no thousands separators: a spreadsheet reads it as a number
    assert cell(3958.0) == "3958"  # a sum that arrived as a float is still a count
    assert cell(1e300) == "1e+300"
    assert cell(Decimal("10.10")) == "10.10"
    assert cell(None) == ""
    assert cell(True) == "true"


def test_days_and_times_are_iso_8601() -> None:
    assert cell(date(2025, 3, 9)) == "2025-03-09"
    assert cell(datetime(2025, 3, 9, 14, 0, tzinfo=UTC)) == "2025-03-09T14:00:00+00:00"


def test_rows_under_their_columns_with_the_currency() -> None:
    rows = [
        {"value": "Paid Search", "sessions": 120, "conversion_rate": 0.025, "revenue": 1234.5, "extra": "x"},
        {"value": 'Say "hi", then =1', "sessions": 3, "conversion_rate": None, "revenue": None},
    ]
    text = to_csv(rows, {"value": "channel", "sessions": "sessions", "revenue": "revenue"}, "USD")
    assert text.endswith("\r\n")
    assert read(text) == [
        ["channel", "sessions", "revenue", "currency"],
        ["Paid Search", "120", "1234.5", "USD"],
        ['Say "hi", then =1', "3", "", "USD"],
    ]
    assert read(to_csv([], {"day": "day"})) == [["day"]]


@given(
    st.lists(
        st.fixed_dictionaries(
            {"name": st.text(), "amount": st.floats(allow_nan=False, allow_infinity=False) | st.none()}
        ),
        max_size=20,
    )
)
def test_every_row_reads_back_as_it_was(rows: list[dict[str, object]]) -> None:
    """Whatever the text (quotes, commas, line breaks), the file has one record per row and every value back:
    numbers exactly, text with only the formula guard added."""
    records = read(to_csv(rows, {"name": "name", "amount": "amount"}))
    assert len(records) == len(rows) + 1
    for row, (name, amount) in zip(rows, records[1:], strict=True):
        expected = str(row["name"])
        if expected.startswith(("=", "+", "-", "@", "\t", "\r")):
            expected = "'" + expected
        assert name == expected
        assert (None if amount == "" else float(amount)) == row["amount"]


def test_columns_of_keeps_the_named_columns_first_and_adds_the_others() -> None:
    rows = [{"value": "mobile", "sessions": 3, "orders": 1}, {"value": "desktop", "sessions": 5, "revenue": 9.5}]
    assert columns_of(rows, {"value": "device_type"}) == {
        "value": "device_type",
        "sessions": "sessions",
        "orders": "orders",
        "revenue": "revenue",
    }
    assert columns_of([], {"value": "country"}) == {"value": "country"}


def test_the_file_is_named_for_what_it_holds() -> None:
    week = Filters(date(2025, 3, 3), date(2025, 3, 9))
    assert csv_filename("acquisition-channel", week) == "acquisition-channel_2025-03-03_2025-03-09.csv"
    sliced = Filters(date(2025, 3, 10), date(2025, 3, 10), device_type="mobile", channel="Paid Search/../x")
    assert csv_filename("overview-kpis", sliced) == "overview-kpis_2025-03-10_2025-03-10_mobile_paid-search-x.csv"
    cut = Filters(date(2025, 3, 3), date(2025, 3, 3), end_before_hour=15)
    assert csv_filename("funnel steps", cut) == "funnel-steps_2025-03-03_2025-03-03_until-15h.csv"


def test_a_warehouse_that_cannot_answer_gives_a_file_saying_so() -> None:
    def table(rows: list[dict[str, object]]) -> str:
        return to_csv(rows, {"day": "day"})

    rows: list[dict[str, object]] = [{"day": date(2025, 3, 9)}]
    assert csv_file(rows, table) == "\ufeffday\r\n2025-03-09\r\n"
    down = csv_file(Problem("The warehouse at 127.0.0.1:5432/dw is not answering"), table)
    assert read(down.removeprefix("\ufeff")) == [["problem"], ["The warehouse at 127.0.0.1:5432/dw is not answering"]]
