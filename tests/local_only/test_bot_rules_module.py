"""The bot rules have one home, the dbt seed; the ingest's copy is generated from it and means the same there."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg2
import pytest

from ingest_lambda.bot_rules import BOT_PATTERNS
from ingest_lambda.useragent import parse_user_agent
from local_only.bot_rules_module import BOT_RULES_MODULE, BOT_SEED, BotRulesError, read_bot_rules, render_bot_rules
from local_only.postgres import Connection

REPO = Path(__file__).resolve().parents[2]

# Crawlers, scripts and people, including the spellings the rules are careful about (a phone brand ending in
# "bot", "robot" in a page title, upper case, the "+http" of a crawler's info URL).
USER_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "AdsBot-Google (+http://www.google.com/adsbot.html)",
    "Mozilla/5.0 (compatible; YandexBot/3.0)",
    "DuckDuckBot-Https/1.1; (+https://duckduckgo.com/duckduckbot)",
    "Mozilla/5.0 (compatible; Yahoo! Slurp)",
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; CUBOT_NOTE_20) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0.0.0 Safari/537.36",
    "PYTHON-REQUESTS/2.32.3",
    "python-urllib/3.11",
    "curl/8.5.0",
    "Wget/1.21",
    "okhttp/4.12.0",
    "Java/17.0.2",
    "Apache-HttpClient/4.5.14 (Java/17)",
    "Scrapy/2.11 (+https://scrapy.org)",
    "my-scraper 0.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1",
    "robot vacuum companion app",
    "",
)


@pytest.mark.unit
def test_the_ingest_copy_is_the_seed() -> None:
    assert (REPO / BOT_RULES_MODULE).read_text(encoding="utf-8") == render_bot_rules(REPO), "run make generate"
    assert list(BOT_PATTERNS) == read_bot_rules(REPO / BOT_SEED)


@pytest.mark.unit
def test_a_pattern_python_cannot_read_is_refused(tmp_path: Path) -> None:
    seed = tmp_path / BOT_SEED
    seed.parent.mkdir(parents=True)
    seed.write_text("pattern,reason\nbot[,crawler user agent\n", encoding="utf-8")
    with pytest.raises(BotRulesError, match=r"bot\["):
        render_bot_rules(tmp_path)


@pytest.mark.unit
def test_the_ingest_types_as_bot_what_the_rules_match() -> None:
    for user_agent in USER_AGENTS:
        matched = any(re.search(pattern, user_agent, re.IGNORECASE) for pattern, _ in BOT_PATTERNS)
        if matched:
            assert parse_user_agent(user_agent)["type"] == "bot", user_agent
    assert parse_user_agent(USER_AGENTS[5])["type"] == "mobile"


@pytest.mark.integration
def test_postgres_and_python_match_the_same_user_agents(warehouse: Connection) -> None:
    """The sessions mart applies each pattern with PostgreSQL's ~*; the ingest with Python's re: same answers."""
    conn = psycopg2.connect(warehouse.dsn())
    try:
        with conn.cursor() as cursor:
            for pattern, _ in BOT_PATTERNS:
                for user_agent in USER_AGENTS:
                    cursor.execute("select %s ~* %s", (user_agent, pattern))
                    row = cursor.fetchone()
                    assert row is not None
                    python = re.search(pattern, user_agent, re.IGNORECASE) is not None
                    assert row[0] == python, (pattern, user_agent)
    finally:
        conn.close()
