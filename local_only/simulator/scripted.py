"""A scripted visit: one visitor's page loads and tracker calls at fixed times, and the requests the tracker's
emulation (sdk.py) makes for it.

The steps name what a shop's page does in the tracker's own terms (open a URL, call ``Clickstream.viewProduct``,
the page is hidden), so the same script can drive the real tracker in a browser:
tests/local_only/simulator/test_tracker_agreement.py does, and compares the two sides' requests.
``CHECKOUT_VISIT`` is a campaign landing that goes through the funnel to a purchase, ``SESSIONS_VISIT`` a visit
whose session rolls on the timeout and on a new campaign, ``OFFLINE_VISIT`` one with offline spells,
``SIGNIN_VISIT`` a login, ``BULKY_VISIT`` one that leaves a page with more than a request holds; ``scripted_run``
runs
any script through the emulation, with no broken events and only the network faults the caller names.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from local_only.simulator.catalogue import SHOP_ORIGIN, shop_catalogue
from local_only.simulator.clock import SECOND_MS, day_start_ms
from local_only.simulator.devices import Device, DeviceClass
from local_only.simulator.geography import Location
from local_only.simulator.ids import uuid4_from
from local_only.simulator.sdk import SdkCounters, SentRequest, TrackerEmulation, scripted_faults
from local_only.simulator.visitors import Account, LoginPlan, SdkFlavour, Visit, Visitor, VisitorKind

# Noon UTC on the first day of the generator's test window: any fixed moment would do.
SCRIPT_START_MS = day_start_ms(date(2025, 3, 7)) + 12 * 3_600 * SECOND_MS
_CHROME = Device(
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    DeviceClass.DESKTOP,
)


class Action(StrEnum):
    OPEN = "open"  # a page load: `path` on the shop's origin, titled `title`
    CALL = "call"  # Clickstream[method](...args) on the current page
    HIDE = "hide"  # the page is hidden (visibilitychange)
    OFFLINE = "offline"  # the device loses its connection
    ONLINE = "online"  # and gets it back


@dataclass(frozen=True, slots=True)
class Step:
    at_ms: int  # since the start of the visit
    action: Action
    path: str = ""
    title: str = ""
    method: str = ""
    args: tuple[Any, ...] = ()


def _checkout_visit() -> tuple[Step, ...]:
    catalogue = shop_catalogue()
    product = next(p for p in catalogue.products if p.discount_cents is not None and p.category == "laptops")
    fields = product.as_event_product()
    price = product.paid_cents / 100
    order = {
        "id": "SO-00000000A1B2",
        "revenue": price,
        "currency": "USD",
        "items": [{"productId": product.id, "quantity": 1, "price": price}],
    }
    path = product.url.removeprefix(SHOP_ORIGIN)
    return (
        # a newsletter link: UTM parameters on the landing page, no referrer
        Step(0, Action.OPEN, "/?utm_source=newsletter&utm_medium=email&utm_campaign=weekly_deals", "Example Tech Shop"),
        # left within 5 s: the home page's page_view goes by beacon
        Step(4_000, Action.OPEN, path, product.name),
        Step(4_400, Action.CALL, method="viewProduct", args=(fields,)),
        # 5 s after the product page's page_view, a fetch; add_to_cart then waits for the next one...
        Step(12_000, Action.CALL, method="addToCart", args=(fields, 1)),
        # ...but the page is left before that: add_to_cart goes by beacon
        Step(15_000, Action.OPEN, "/cart", "Your Cart"),
        Step(18_000, Action.CALL, method="beginCheckout", args=({"value": price, "currency": "USD", "itemCount": 1},)),
        # the cart page's two events went by fetch 5 s after its page_view
        Step(30_000, Action.OPEN, f"/checkout/confirmation?order={order['id']}", "Thank you for your order"),
        # a key event: sent at once, with the page_view queued before it
        Step(30_300, Action.CALL, method="purchase", args=(order,)),
        Step(34_000, Action.CALL, method="track", args=("click", {"element": "continue_shopping"})),
        # hidden before the 5 s timer: the click goes by beacon
        Step(36_000, Action.HIDE),
    )


CHECKOUT_VISIT = _checkout_visit()
_AWAY_MS = 31 * 60 * SECOND_MS
# Sessions roll: a paid-search landing and a search, the tab left in the background past the 30-minute timeout (a
# new session when the visitor comes back), then a social campaign's link (a new campaign: a new session), and a
# page without UTM parameters (the campaign's session goes on) where a product goes into the cart and out again.
_MOUSE = next(p for p in shop_catalogue().products if p.category == "mice")
SESSIONS_VISIT = (
    Step(0, Action.OPEN, "/?utm_source=google&utm_medium=cpc&utm_campaign=brand_search", "Example Tech Shop"),
    Step(2_000, Action.OPEN, "/search?q=gaming+laptop", 'Results for "gaming laptop"'),
    Step(2_300, Action.CALL, method="search", args=("gaming laptop",)),
    Step(4_000, Action.HIDE),
    Step(4_000 + _AWAY_MS, Action.CALL, method="track", args=("click", {"element": "nav_menu"})),
    Step(
        5_000 + _AWAY_MS,
        Action.OPEN,
        "/?utm_source=facebook&utm_medium=paid_social&utm_campaign=holiday_deals",
        "Example Tech Shop",
    ),
    Step(8_000 + _AWAY_MS, Action.OPEN, "/deals", "Today's Deals"),
    Step(9_000 + _AWAY_MS, Action.CALL, method="addToCart", args=(_MOUSE.as_event_product(), 2)),
    Step(9_500 + _AWAY_MS, Action.CALL, method="removeFromCart", args=(_MOUSE.as_event_product(), 1)),
    Step(10_000 + _AWAY_MS, Action.HIDE),
)
# A phone in a tunnel for a minute: the timed fetch fails and backs off (1 s, 2 s, 4 s, ... at jitter 0.5: 0.75 s,
# 1.5 s, 3 s, ...); the next page load, back online, sends the queue the page before left on the device at once,
# with its own page_view. Later, hidden while offline again: sendBeacon takes the click and the browser loses it.
OFFLINE_VISIT = (
    Step(0, Action.OPEN, "/category/monitors", "Monitors"),
    Step(1_000, Action.OFFLINE),
    Step(2_000, Action.CALL, method="track", args=("click", {"element": "filter", "value": "brand:Dell"})),
    Step(61_000, Action.ONLINE),
    Step(70_000, Action.OPEN, "/deals", "Today's Deals"),
    Step(75_000, Action.CALL, method="track", args=("click", {"element": "hero_banner"})),
    Step(76_000, Action.OFFLINE),
    Step(77_000, Action.HIDE),
    Step(78_000, Action.ONLINE),
    Step(90_000, Action.OPEN, "/category/monitors", "Monitors"),
    Step(91_000, Action.HIDE),
)


def _bulky(mark: str) -> dict[str, str]:
    """Properties of about 40 KB: 40 keys of 1,000 characters (the tracker keeps up to 49 keys of 1,024)."""
    return {f"k{i}": mark * 1_000 for i in range(40)}


# Two events of about 40 KB each, queued when the page is left: one beacon takes the page_view and the first
# (a request holds 64 KB), the second would pass Chrome's 64 KB of keepalive requests in flight and is refused,
# so the next page load sends it, with its own page_view, by fetch.
BULKY_VISIT = (
    Step(0, Action.OPEN, "/", "Example Tech Shop"),
    Step(500, Action.CALL, method="track", args=("click", _bulky("a"))),
    Step(1_000, Action.CALL, method="track", args=("click", _bulky("b"))),
    Step(2_000, Action.OPEN, "/deals", "Today's Deals"),
    Step(4_000, Action.HIDE),
)
SCRIPT_USER = "0b8e1d2c-5f3a-4c7e-9d61-2a4b6c8e0f13"
# A Cognito id token as the shop hands it over (the tracker passes it on, it never reads it).
SCRIPT_ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwYjhlMWQyYy01ZjNhLTRjN2UtOWQ2MS0yYTRiNmM4ZTBmMTMifQ.c2lnbmF0dXJl"
# A login on the page: what was queued before it goes to the anonymous route, the login and what follows (the
# shop calls identify before page() on each later page) to the authenticated one with the token, never by beacon.
SIGNIN_VISIT = (
    Step(0, Action.OPEN, "/", "Example Tech Shop"),
    Step(1_000, Action.CALL, method="identify", args=(SCRIPT_USER, {"idToken": SCRIPT_ID_TOKEN})),
    Step(1_500, Action.CALL, method="track", args=("login", {"method": "cognito"})),
    Step(3_000, Action.OPEN, "/cart", "Your Cart"),
    Step(4_000, Action.HIDE),
)


def scripted_visitor(seed: int = 1) -> Visit:
    """A first-time visitor on desktop Chrome with an exact clock, running the tracker."""
    rng = random.Random(f"scripted-{seed}")
    visitor = Visitor(
        uuid4_from(rng.getrandbits(128)),
        VisitorKind.HUMAN,
        _CHROME,
        Location("US", -5, "203.0.113.10"),
        0,
        SdkFlavour.TRACKER,
    )
    return Visit(visitor, date(2025, 3, 7), True, None, LoginPlan.GUEST)


def run_script(sdk: TrackerEmulation, steps: tuple[Step, ...], *, start_ms: int, origin: str) -> None:
    """Drive the emulation through `steps`: each page load's document.referrer is the page before it."""
    calls: dict[str, Callable[..., None]] = {
        "viewProduct": sdk.view_product,
        "addToCart": sdk.add_to_cart,
        "removeFromCart": sdk.remove_from_cart,
        "beginCheckout": sdk.begin_checkout,
        "purchase": sdk.purchase,
        "search": sdk.search,
        "track": sdk.track,
    }
    calls["identify"] = lambda at, user_id, options: sdk.identify(Account(user_id, None), at)
    referrer: str | None = None
    for step in steps:
        at = start_ms + step.at_ms
        if step.action is Action.OPEN:
            url = origin + step.path
            sdk.open_page(at, url, step.title, referrer)
            referrer = url
        elif step.action is Action.CALL:
            calls[step.method](at, *step.args)
        elif step.action is Action.HIDE:
            sdk.hide(at)
        else:
            sdk.network(at, online=step.action is Action.ONLINE)


@dataclass(frozen=True, slots=True)
class ScriptedRun:
    # the requests that reached the endpoint, in the order they were sent
    requests: list[SentRequest]
    # when the tracker made a request, including those that never left the device
    attempts: list[int]


def scripted_run(
    steps: tuple[Step, ...] = CHECKOUT_VISIT,
    *,
    origin: str = SHOP_ORIGIN,
    start_ms: int = SCRIPT_START_MS,
    seed: int = 1,
    lost_answers: frozenset[int] = frozenset(),
) -> ScriptedRun:
    """What the tracker sends for `steps`, as the emulation has it.

    The network is perfect but for the script's offline spells and the answers to the requests numbered in
    `lost_answers` (from 0, in the order they are made), which never reach the browser; the backoff's jitter
    (Math.random()) is 0.5.
    """
    visit = scripted_visitor(seed)
    out: list[SentRequest] = []
    faults = scripted_faults(lost_answers)
    sdk = TrackerEmulation(visit, random.Random(f"scripted-sdk-{seed}"), out, SdkCounters(), faults=faults)
    run_script(sdk, steps, start_ms=start_ms, origin=origin)
    return ScriptedRun(out, sdk.attempts)
