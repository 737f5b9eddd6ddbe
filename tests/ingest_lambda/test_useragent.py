"""User-agent parsing (ingest_lambda/useragent.py): families and the device type the dashboard splits by."""

from __future__ import annotations

import pytest

from ingest_lambda.useragent import parse_user_agent

pytestmark = pytest.mark.unit

WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
WINDOWS_EDGE = WINDOWS_CHROME + " Edg/120.0.0.0"
MACOS_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15"
)
LINUX_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
CHROME_OS = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)
ANDROID_CHROME_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)
IPAD_SAFARI = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)
KINDLE_SILK = (
    "Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.3.1 "
    "like Chrome/120.0.6099.230 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
AHREFSBOT = "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"
PYTHON_REQUESTS = "python-requests/2.31.0"
CURL = "curl/8.0.1"
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "device_type"),
    [
        pytest.param(WINDOWS_CHROME, "desktop", id="windows-chrome"),
        pytest.param(WINDOWS_EDGE, "desktop", id="windows-edge"),
        pytest.param(MACOS_SAFARI, "desktop", id="macos-safari"),
        pytest.param(LINUX_FIREFOX, "desktop", id="linux-firefox"),
        pytest.param(CHROME_OS, "desktop", id="chrome-os"),
        pytest.param(IPHONE_SAFARI, "mobile", id="iphone-safari"),
        pytest.param(ANDROID_CHROME_PHONE, "mobile", id="android-chrome-mobile"),
        pytest.param(IPAD_SAFARI, "tablet", id="ipad"),
        pytest.param(ANDROID_TABLET, "tablet", id="android-without-mobile"),
        pytest.param(KINDLE_SILK, "tablet", id="kindle-silk"),
        pytest.param(GOOGLEBOT, "bot", id="googlebot"),
        pytest.param(GOOGLEBOT_SMARTPHONE, "bot", id="googlebot-smartphone"),
        pytest.param(BINGBOT, "bot", id="bingbot"),
        pytest.param(AHREFSBOT, "bot", id="ahrefsbot"),
        pytest.param(PYTHON_REQUESTS, "bot", id="python-requests"),
        pytest.param(CURL, "bot", id="curl"),
        pytest.param(HEADLESS_CHROME, "bot", id="headless-chrome"),
        # The rules the sessions mart applies (the bot_user_agents seed): these were bots there but not here.
        pytest.param("AdsBot-Google (+http://www.google.com/adsbot.html)", "bot", id="adsbot-google"),
        pytest.param("okhttp/4.12.0", "bot", id="okhttp"),
        pytest.param("Go-http-client/1.1", "bot", id="go-http-client"),
        pytest.param("Java/17.0.2", "bot", id="java"),
        pytest.param("", "other", id="empty"),
        pytest.param("SomethingUnknown/1.0", "other", id="unknown"),
    ],
)
def test_device_type(user_agent: str, device_type: str) -> None:
    assert parse_user_agent(user_agent)["type"] == device_type


@pytest.mark.parametrize(
    ("user_agent", "browser", "os"),
    [
        pytest.param(WINDOWS_CHROME, "Chrome", "Windows", id="windows-chrome"),
        pytest.param(WINDOWS_EDGE, "Edge", "Windows", id="windows-edge"),
        pytest.param(MACOS_SAFARI, "Safari", "Mac OS X", id="macos-safari"),
        pytest.param(LINUX_FIREFOX, "Firefox", "Linux", id="linux-firefox"),
        pytest.param(IPHONE_SAFARI, "Mobile Safari", "iOS", id="iphone-safari"),
        pytest.param(ANDROID_CHROME_PHONE, "Chrome Mobile", "Android", id="android-chrome"),
        pytest.param(IPAD_SAFARI, "Mobile Safari", "iOS", id="ipad"),
        pytest.param(GOOGLEBOT, "Googlebot", "Other", id="googlebot"),
        pytest.param(CURL, "curl", "Other", id="curl"),
    ],
)
def test_browser_and_os_families(user_agent: str, browser: str, os: str) -> None:
    parsed = parse_user_agent(user_agent)
    assert parsed["browser"] == browser
    assert parsed["os"] == os


def test_versions_are_major_dot_minor() -> None:
    parsed = parse_user_agent(IPHONE_SAFARI)
    assert parsed["browserVersion"] == "17.1"
    assert parsed["osVersion"] == "17.1"
    assert parse_user_agent(WINDOWS_CHROME)["browserVersion"] == "120.0"
    assert parse_user_agent(ANDROID_CHROME_PHONE)["osVersion"] == "14"


def test_model_is_reported_when_known() -> None:
    assert parse_user_agent(ANDROID_CHROME_PHONE)["model"] == "Pixel 8"
    assert parse_user_agent(IPAD_SAFARI)["model"] == "iPad"
    assert parse_user_agent(WINDOWS_CHROME)["model"] is None


def test_unknown_user_agent_has_no_versions() -> None:
    assert parse_user_agent("") == {
        "type": "other",
        "browser": "Other",
        "browserVersion": None,
        "os": "Other",
        "osVersion": None,
        "model": None,
    }


def test_very_long_user_agent_is_parsed_from_its_start() -> None:
    parsed = parse_user_agent(WINDOWS_CHROME + " x" * 100_000)
    assert parsed["browser"] == "Chrome"
    assert parsed["type"] == "desktop"


def test_cubot_phone_is_mobile_not_bot() -> None:
    cubot = (
        "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36"
    )
    assert parse_user_agent(cubot)["os"] == "Android"
    assert parse_user_agent(cubot)["type"] == "mobile"
