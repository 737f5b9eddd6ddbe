"""Browsers, crawlers and a scraper, as the user-agent strings they really send."""

# User agents stay on one line each, verbatim, so they can be grepped for and compared with real logs.
# ruff: noqa: E501

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate


class DeviceClass(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    TABLET = "tablet"
    BOT = "bot"


@dataclass(frozen=True, slots=True)
class Device:
    user_agent: str
    device_class: DeviceClass


# (share of human traffic, class, user agent). Shares follow a typical 2024-2025 web-shop mix: about half mobile.
_BROWSER_TABLE: tuple[tuple[float, DeviceClass, str], ...] = (
    (15.0, DeviceClass.DESKTOP, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
    (4.0, DeviceClass.DESKTOP, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"),
    (4.5, DeviceClass.DESKTOP, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"),
    (2.5, DeviceClass.DESKTOP, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"),
    (5.0, DeviceClass.DESKTOP, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
    (4.0, DeviceClass.DESKTOP, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"),
    (1.0, DeviceClass.DESKTOP, "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0"),
    (1.5, DeviceClass.DESKTOP, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
    (1.0, DeviceClass.DESKTOP, "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
    (0.8, DeviceClass.DESKTOP, "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
    (17.0, DeviceClass.MOBILE, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"),
    (6.0, DeviceClass.MOBILE, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"),
    (3.0, DeviceClass.MOBILE, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"),
    (16.0, DeviceClass.MOBILE, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"),
    (3.5, DeviceClass.MOBILE, "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"),
    (3.0, DeviceClass.TABLET, "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"),
    (1.2, DeviceClass.TABLET, "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
)  # fmt: skip
_BROWSERS = tuple((share, Device(agent, device_class)) for share, device_class, agent in _BROWSER_TABLE)
_BROWSER_CUMULATIVE = tuple(accumulate(share for share, _ in _BROWSERS))


@dataclass(frozen=True, slots=True)
class Crawler:
    device: Device
    # First octets of the crawler's published ranges, so its requests come from where it really crawls from.
    ip_prefixes: tuple[str, ...]
    share: float


CRAWLERS: tuple[Crawler, ...] = (
    Crawler(
        Device(
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            DeviceClass.BOT,
        ),
        ("66.249.66", "66.249.68", "66.249.79"),
        4.0,
    ),
    Crawler(
        Device(
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; "
            "+http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36",
            DeviceClass.BOT,
        ),
        ("66.249.66", "66.249.70"),
        2.0,
    ),
    Crawler(
        Device(
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
            "+http://www.bing.com/bingbot.htm) Chrome/131.0.0.0 Safari/537.36",
            DeviceClass.BOT,
        ),
        ("157.55.39", "207.46.13", "40.77.167"),
        2.0,
    ),
    Crawler(
        Device("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", DeviceClass.BOT),
        ("54.36.148", "54.36.149", "5.39.1"),
        1.5,
    ),
    Crawler(
        Device("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", DeviceClass.BOT),
        ("5.255.231", "213.180.203"),
        0.5,
    ),
)
_CRAWLER_CUMULATIVE = tuple(accumulate(c.share for c in CRAWLERS))

# A price-monitoring scraper drives a real headless Chrome, so the shop's SDK runs and reports every page it opens.
SCRAPER = Device(
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
    DeviceClass.BOT,
)
SCRAPER_IP_PREFIX = "167.99.142"


def browser(rng: random.Random) -> Device:
    return _BROWSERS[bisect(_BROWSER_CUMULATIVE, rng.random() * _BROWSER_CUMULATIVE[-1])][1]


def crawler(rng: random.Random) -> Crawler:
    return CRAWLERS[bisect(_CRAWLER_CUMULATIVE, rng.random() * _CRAWLER_CUMULATIVE[-1])]


def all_user_agents() -> tuple[str, ...]:
    return (
        *(device.user_agent for _, device in _BROWSERS),
        *(c.device.user_agent for c in CRAWLERS),
        SCRAPER.user_agent,
    )
