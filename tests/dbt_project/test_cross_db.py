"""The dbt project writes no PostgreSQL-only SQL outside its cross-database macros (dbt_project/macros/cross_db/).

Every construct only PostgreSQL reads (JSONB operators, `at time zone`, POSIX regex operators, generate_series,
md5 and hashtext, FILTER, DISTINCT ON, interval literals, casts to its own types, DML and index statements in
hooks, ...) is written by a macro of macros/cross_db/, whose `default__` implementation is PostgreSQL's and whose
`spark__`/`athena__` ones are the ports (docs/scaling.md). This test reads the sources of everything else dbt
compiles (models, data tests, the other macros, dbt_project.yml's hooks), comments left out, and names each
PostgreSQL-only construct it finds by file and line, so one put back fails here.

The exceptions are listed below with their reasons; each must still be found (an exception that no longer applies
is removed, not kept).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "dbt_project"
CROSS_DB = PROJECT / "macros" / "cross_db"

# name -> pattern (case-insensitive, over one line with comments blanked out).
POSTGRES_ONLY: dict[str, str] = {
    "jsonb operator (->, ->>, #>, #>>, ?, @>)": r"->|#>|\s\?[|&]?\s|@>|<@",
    # (json_text, json_array_size, ... are the macros; PostgreSQL's own json_* functions are named here.)
    "json function": (
        r"\b(?:to_jsonb?|jsonb_\w+|json_(?:typeof|array_length|array_elements\w*|each\w*|extract_path\w*|build_\w+"
        r"|agg|object_agg|populate_\w+|to_record\w*|strip_nulls))\s*\("
    ),
    "at time zone": r"\bat\s+time\s+zone\b",
    "regex operator (~, ~*, !~)": r"(?<![<>=!])!?~\*?(?![=>])",
    "regex function": r"\bregexp_\w+\s*\(|\bsubstring\s*\([^)]*\bfrom\b|\bsimilar\s+to\b",
    "generate_series": r"\bgenerate_series\s*\(",
    "md5 / hashtext (dbt.hash, hash_bigint)": r"\bmd5\s*\(|\bhashtext\w*\s*\(",
    "FILTER (WHERE ...)": r"\bfilter\s*\(\s*where\b",
    "DISTINCT ON": r"\bdistinct\s+on\b",
    "interval literal (dbt.dateadd)": r"\binterval\s+'",
    "array_agg / array subscript": r"\barray_agg\s*\(|\)\s*\[\s*\d+\s*\]",
    "to_char / extract(epoch)": r"\bto_char\s*\(|\bextract\s*\(\s*epoch\b",
    "ordered-set aggregate": r"\bwithin\s+group\b|\bpercentile_(?:cont|disc)\b",
    "string_agg": r"\bstring_agg\s*\(",
    "cast to a PostgreSQL type": r"::\s*(?:text|timestamptz|jsonb?|regclass|inet|uuid|interval)\b",
    "infinite timestamp": r"'[+-]?infinity'",
    "DELETE / UPDATE in a hook (macros/cross_db/deletes.sql, sessions_updates.sql)": (
        r"\bdelete\s+from\b[^;]*\busing\b|\bupdate\s+\S+\s+(?:as\s+\w+\s+)?set\b"
    ),
    "index or statistics statement": r"\bcreate\s+(?:unique\s+)?index\b|^\s*\"?analyze\b|\bvacuum\b",
    "advisory lock / pg_ function": r"\bpg_\w+\s*\(",
}

# Jinja concatenates with `~`, subscripts its lists and sets placeholders: these are looked for in the SQL outside
# {{ }} and {% %} only.
OUTSIDE_JINJA = {"regex operator (~, ~*, !~)", "array_agg / array subscript", "infinite timestamp"}

# (path relative to dbt_project/ or the repository, construct name, pattern of the line) -> why it stays.
ALLOWED: dict[tuple[str, str, str], str] = {
    # The dashboard's rate definitions are SQL the dashboard runs on PostgreSQL (dashboard/rates.py is generated
    # from them); a port moves the dashboard's reads too (docs/scaling.md).
    ("dbt_project.yml", "FILTER (WHERE ...)", r"returning_customer_rate|filter \(where is_returning_customer\)"): (
        "the dashboard's SQL"
    ),
}


def _without_comments(text: str) -> str:
    """`text` with Jinja comments ({# #}) and SQL/YAML line comments blanked out, its lines where they were."""

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = re.sub(r"\{#.*?#\}", blank, text, flags=re.DOTALL)
    return re.sub(r"(?m)(?:--|^\s*#).*$", blank, text)


def _without_jinja(text: str) -> str:
    """`text` with Jinja's expressions and statements blanked out, its lines where they were."""
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}", lambda match: re.sub(r"[^\n]", " ", match.group(0)), text, flags=re.DOTALL)


def _sources() -> list[Path]:
    """What dbt compiles outside macros/cross_db: models, data tests, the other macros, dbt_project.yml."""
    paths = [
        path
        for folder in ("models", "tests", "macros", "snapshots", "analyses")
        for path in sorted((PROJECT / folder).rglob("*.sql"))
        if CROSS_DB not in path.parents
    ]
    return [*paths, REPO / "dbt_project.yml"]


def _label(path: Path) -> str:
    for root in (PROJECT, REPO):
        if root in path.parents:
            return str(path.relative_to(root))
    return str(path)


def _allowed(label: str, construct: str, line: str) -> tuple[str, str, str] | None:
    for key in ALLOWED:
        where, name, pattern = key
        if label.startswith(where) and name == construct and re.search(pattern, line, re.IGNORECASE):
            return key
    return None


def postgres_only_constructs(sources: list[Path]) -> tuple[list[str], set[tuple[str, str, str]]]:
    """`file:line: construct: source line` for each PostgreSQL-only construct found, and the exceptions used."""
    found, used = [], set()
    for path in sources:
        label = _label(path)
        text = _without_comments(path.read_text(encoding="utf-8"))
        lines = zip(text.splitlines(), _without_jinja(text).splitlines(), strict=True)
        for number, (line, sql_line) in enumerate(lines, 1):
            for construct, pattern in POSTGRES_ONLY.items():
                if not re.search(pattern, sql_line if construct in OUTSIDE_JINJA else line, re.IGNORECASE):
                    continue
                exception = _allowed(label, construct, line)
                if exception is None:
                    found.append(f"{label}:{number}: {construct}: {line.strip()}")
                else:
                    used.add(exception)
    return found, used


def test_no_postgres_only_sql_outside_the_cross_db_macros() -> None:
    found, used = postgres_only_constructs(_sources())
    assert found == [], "PostgreSQL-only SQL outside macros/cross_db (write it with a macro there):\n" + "\n".join(
        found
    )
    assert set(ALLOWED) - used == set(), "exceptions that no longer apply: remove them"


@pytest.mark.parametrize(
    "line",
    [
        "select payload -> 'eventId' from raw",
        "select payload ->> 'eventId' from raw",
        "select payload #>> '{a,b}' from raw",
        "where payload ? 'sanitized'",
        "select jsonb_typeof(payload) from raw",
        "cross join lateral jsonb_array_elements(items) as i (item)",
        "select (ts at time zone 'UTC')::date",
        "where user_agent ~* pattern",
        "where key ~ '^events/'",
        "select substring(url from '^https?://([^/]+)')",
        "cross join lateral generate_series(0, 3) as w (n)",
        "select md5(a || b)",
        "select hashtextextended(visitor_id, 0)",
        "count(*) filter (where is_bot) as bot_events",
        "select distinct on (session_key) session_key",
        "where a > b - interval '30 minutes'",
        "(array_agg(channel order by session_start))[1]",
        "select extract(epoch from b - a)",
        "percentile_cont(0.5) within group (order by lag)",
        "select x::timestamptz",
        "select '-infinity'::timestamptz",
        "delete from t as target using touched where t.id = touched.id",
        "update sessions as s set orders = 0 from o where s.k = o.k",
        "create index if not exists i on t (c)",
        "select pg_advisory_xact_lock(1)",
    ],
)
def test_each_construct_put_back_in_a_model_is_named_with_its_file_and_line(tmp_path: Path, line: str) -> None:
    model = tmp_path / "models" / "staging" / "stg_example.sql"
    model.parent.mkdir(parents=True)
    comments = "-- a model\n{# a comment: at time zone, md5( #}\n"
    model.write_text(f"{comments}with x as (\n    {line}\n)\n", encoding="utf-8")
    found, _ = postgres_only_constructs([model])
    assert found, line
    assert all(entry.startswith(f"{model}:4: ") for entry in found), found


@pytest.mark.parametrize(
    "line",
    [
        "{{ json_text('payload', 'eventId') }} as event_id",
        "{{ count_if('is_bot') }} as bot_events",
        "coalesce(a, b) >= c and d <= e and f <> g",
        "{{ dbt.dateadd('minute', 30, 'event_timestamp') }}",
        "events.order_revenue::numeric as order_revenue",
        "lag(page_path) over session_timeline as previous_page_path",
        "previous_page_path is distinct from page_path",
        "-- a comment: at time zone 'UTC', md5(, distinct on",
    ],
)
def test_portable_sql_and_comments_are_not_named(tmp_path: Path, line: str) -> None:
    model = tmp_path / "models" / "example.sql"
    model.parent.mkdir(parents=True)
    model.write_text(line + "\n", encoding="utf-8")
    assert postgres_only_constructs([model]) == ([], set())


def test_every_dispatched_macro_has_postgres_and_spark_implementations() -> None:
    """The pick (docs/scaling.md) compiles wherever the project dispatches: each name has default__ and spark__."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(CROSS_DB.glob("*.sql")))
    dispatched = set(re.findall(r"adapter\.dispatch\('(\w+)', 'clickstream_warehouse'\)", text))
    defined = set(re.findall(r"\{%-?\s*macro\s+(\w+)\s*\(", text))
    assert len(dispatched) >= 20, dispatched
    missing = sorted(
        f"{prefix}__{name}"
        for name in dispatched
        for prefix in ("default", "spark")
        if f"{prefix}__{name}" not in defined
    )
    assert missing == []


def test_every_cross_db_macro_is_documented() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(CROSS_DB.glob("*.sql")))
    defined = set(re.findall(r"\{%-?\s*macro\s+(\w+)\s*\(", text))
    public = {name for name in defined if "__" not in name}
    documented = set(re.findall(r"(?m)^  - name: (\w+)$", (CROSS_DB / "_cross_db.yml").read_text(encoding="utf-8")))
    assert sorted(public - documented) == []
    assert sorted(documented - defined) == []
