"""How a visit arrives: the referrer the browser reports and the campaign tags on the landing URL."""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate


class Landing(StrEnum):
    """The kind of page a channel tends to land on; the behaviour model picks the concrete page."""

    HOME = "home"
    CATEGORY = "category"
    PRODUCT = "product"
    DEALS = "deals"


@dataclass(frozen=True, slots=True)
class Arrival:
    channel: str
    referrer: str | None
    # Query string for the landing URL (utm_* and click ids), without the leading '?'.
    query: str
    landing: Landing
    # Campaign traffic and newsletters convert differently from a casual organic visit.
    intent: float


_SEARCH_ENGINES = (
    ("https://www.google.com/", 80.0),
    ("https://www.bing.com/", 9.0),
    ("https://duckduckgo.com/", 6.0),
    ("https://search.yahoo.com/", 3.0),
    ("https://www.ecosia.org/", 2.0),
)
_SOCIAL = (
    ("https://www.facebook.com/", 25.0),
    ("https://l.facebook.com/", 10.0),
    ("https://www.instagram.com/", 15.0),
    ("https://www.reddit.com/", 25.0),
    ("https://t.co/", 12.0),
    ("https://www.youtube.com/", 13.0),
)
_REFERRAL_SITES = (
    ("https://www.tomshardware.com/best-picks/best-gaming-monitors", 20.0),
    ("https://www.rtings.com/monitor/reviews/best/by-usage/gaming", 12.0),
    ("https://www.reddit.com/r/buildapc/comments/1h3k2x9/which_ssd_for_a_new_build/", 18.0),
    ("https://slickdeals.net/f/17912345-laptop-deal", 15.0),
    ("https://www.pcmag.com/picks/the-best-wireless-mice", 10.0),
    ("https://www.theverge.com/tech", 8.0),
    ("https://news.ycombinator.com/", 5.0),
    ("https://www.techradar.com/news/best-mechanical-keyboards", 12.0),
)
_PAID_SEARCH_CAMPAIGNS = ("brand_search", "laptops_generic", "monitors_generic", "gpu_launch", "back_to_school")
_SOCIAL_CAMPAIGNS = ("retargeting_cart", "lookalike_gamers", "holiday_deals", "new_arrivals")
_NEWSLETTERS = ("weekly_deals", "new_arrivals", "cart_reminder", "loyalty_points")
_SEARCH_TERMS = ("gaming+laptop", "4k+monitor", "rtx+4070", "mechanical+keyboard", "shop+example", "usb+c+hub")

_KINDS = (
    ("direct", 24.0),
    ("organic_search", 30.0),
    ("paid_search", 14.0),
    ("organic_social", 8.0),
    ("paid_social", 7.0),
    ("email", 8.0),
    ("referral", 9.0),
)
# Returning visitors type the address or use a bookmark far more often than first-time visitors.
_RETURNING_KINDS = (
    ("direct", 42.0),
    ("organic_search", 22.0),
    ("paid_search", 8.0),
    ("organic_social", 4.0),
    ("paid_social", 4.0),
    ("email", 15.0),
    ("referral", 5.0),
)


def _cumulative(pairs: tuple[tuple[str, float], ...]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return tuple(name for name, _ in pairs), tuple(accumulate(w for _, w in pairs))


_ENGINES = _cumulative(_SEARCH_ENGINES)
_SOCIAL_SITES = _cumulative(_SOCIAL)
_REFERRERS = _cumulative(_REFERRAL_SITES)
_NEW = _cumulative(_KINDS)
_RETURNING = _cumulative(_RETURNING_KINDS)


def _pick(table: tuple[tuple[str, ...], tuple[float, ...]], rng: random.Random) -> str:
    names, cumulative = table
    return names[bisect(cumulative, rng.random() * cumulative[-1])]


def _one_of(options: tuple[str, ...], rng: random.Random) -> str:
    return options[int(rng.random() * len(options))]


def _click_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def arrival(rng: random.Random, *, returning: bool, week: str) -> Arrival:
    """Where this visit comes from. `week` (e.g. ``2025w10``) dates the newsletter issue."""
    kind = _pick(_RETURNING if returning else _NEW, rng)
    if kind == "direct":
        landing = Landing.HOME if rng.random() < 0.7 else Landing.PRODUCT
        return Arrival(kind, None, "", landing, 1.0)
    if kind == "organic_search":
        landing = Landing.PRODUCT if rng.random() < 0.55 else Landing.CATEGORY
        return Arrival(kind, _pick(_ENGINES, rng), "", landing, 0.95)
    if kind == "paid_search":
        bing = rng.random() < 0.15
        source, click = ("bing", "msclkid") if bing else ("google", "gclid")
        query = (
            f"utm_source={source}&utm_medium=cpc&utm_campaign={_one_of(_PAID_SEARCH_CAMPAIGNS, rng)}"
            f"&utm_term={_one_of(_SEARCH_TERMS, rng)}&{click}={_click_id(rng)}"
        )
        referrer: str | None = "https://www.bing.com/" if bing else "https://www.google.com/"
        return Arrival(kind, referrer, query, Landing.PRODUCT, 1.15)
    if kind == "organic_social":
        return Arrival(kind, _pick(_SOCIAL_SITES, rng), "", Landing.PRODUCT, 0.6)
    if kind == "paid_social":
        instagram = rng.random() < 0.35
        source, referrer = (
            ("instagram", "https://l.instagram.com/") if instagram else ("facebook", "https://m.facebook.com/")
        )
        query = (
            f"utm_source={source}&utm_medium=paid_social&utm_campaign={_one_of(_SOCIAL_CAMPAIGNS, rng)}"
            f"&utm_content=carousel_{int(rng.random() * 4) + 1}&fbclid={_click_id(rng)}"
        )
        return Arrival(kind, referrer, query, Landing.PRODUCT, 0.7)
    if kind == "email":
        query = f"utm_source=newsletter&utm_medium=email&utm_campaign={_one_of(_NEWSLETTERS, rng)}_{week}"
        # Webmail in a browser tab leaks its origin; desktop mail clients send no referrer at all.
        referrer = "https://mail.google.com/" if rng.random() < 0.3 else None
        landing = Landing.DEALS if rng.random() < 0.5 else Landing.PRODUCT
        return Arrival(kind, referrer, query, landing, 1.6)
    landing = Landing.PRODUCT if rng.random() < 0.8 else Landing.CATEGORY
    return Arrival("referral", _pick(_REFERRERS, rng), "", landing, 1.1)
