"""User-agent parsing: browser, OS and a device type the dashboard can split by."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import ua_parser

from ingest_lambda.bot_rules import BOT_PATTERNS

_TABLET_HINTS = ("ipad", "tablet", "kindle", "silk/", "playbook", "sm-t", "tab ")
# The sessions mart's rules (its bot_user_agents seed, generated into bot_rules.py), so a request typed as a bot here
# is a bot there too.
_BOT = re.compile("|".join(f"(?:{pattern})" for pattern, _ in BOT_PATTERNS), re.IGNORECASE)


@lru_cache(maxsize=8192)
def parse_user_agent(user_agent: str) -> dict[str, Any]:
    """Browser/OS families and versions plus ``type``: desktop, mobile, tablet, bot or other.

    ua-parser (the maintained uap-core rules) names the families; the device type is derived here because
    uap-core has no such field. Shop traffic repeats a few hundred user agents, hence the cache.
    """
    result = ua_parser.parse(user_agent[:1024])
    browser, os_, device = result.user_agent, result.os, result.device
    return {
        "type": _device_type(user_agent.lower(), device.family if device else None, os_.family if os_ else None),
        "browser": browser.family if browser else "Other",
        "browserVersion": _version(browser.major, browser.minor) if browser else None,
        "os": os_.family if os_ else "Other",
        "osVersion": _version(os_.major, os_.minor) if os_ else None,
        "model": device.model if device and device.model else None,
    }


def _device_type(ua: str, device_family: str | None, os_family: str | None) -> str:
    if device_family == "Spider" or _BOT.search(ua):
        return "bot"
    if any(hint in ua for hint in _TABLET_HINTS) or (os_family == "Android" and "mobile" not in ua):
        return "tablet"
    if "mobi" in ua or os_family in ("iOS", "Android", "Windows Phone"):
        return "mobile"
    if os_family in ("Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "FreeBSD") or "x11" in ua:
        return "desktop"
    return "other"


def _version(major: str | None, minor: str | None) -> str | None:
    if not major:
        return None
    return f"{major}.{minor}" if minor else major
