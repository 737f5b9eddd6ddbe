"""What visitors do on the site, page by page, and which tracker calls the shop's pages make for it.

A human visit lands from its channel, browses (pages, product views, searches, clicks), and may go down the
funnel: add to cart (about one product-viewing session in ten), begin checkout (about half of carts) and purchase
(about six checkouts in ten). Whether a session converts is decided when it first looks at a product, from the
intent its channel, device and history give it. Crawlers and a scraper follow their own, mechanical, patterns.

The shop is a multi-page site: each page load runs the tracker afresh (sdk.py), which sends what the page before it
left queued by beacon as that page goes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote_plus

from local_only.simulator.catalogue import CATEGORY_TITLES, CROSS_SELL, SHOP_ORIGIN, Catalogue, Product
from local_only.simulator.channels import Arrival, Landing, arrival
from local_only.simulator.clock import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, day_start_ms
from local_only.simulator.devices import DeviceClass
from local_only.simulator.orders import OrderLine, ShopOrder
from local_only.simulator.other_clients import client_for
from local_only.simulator.sdk import SdkCounters, SentRequest, TrackerEmulation
from local_only.simulator.traffic import visit_start_ms
from local_only.simulator.visitors import LoginPlan, Visit, VisitorKind

# Session-level funnel rates before the per-session intent multiplier (mean multiplier is close to 1).
CART_RATE = 0.095
CHECKOUT_RATE = 0.5
PURCHASE_RATE = 0.6
BOUNCE_RATE = 0.38
IDLE_SHARE = 0.03
THANK_YOU_RELOAD_SHARE = 0.1
# Tracked interactions per page (filters, gallery, tabs, banners): none on most pages, a few on some.
CLICK_SHARE = 0.42
SECOND_CLICK_SHARE = 0.35
TITLE_SUFFIX = " | Example Tech Shop"


class PageKind(StrEnum):
    HOME = "home"
    CATEGORY = "category"
    PRODUCT = "product"
    SEARCH = "search"
    DEALS = "deals"
    CART = "cart"
    CHECKOUT = "checkout"
    CONFIRMATION = "confirmation"
    ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class Page:
    kind: PageKind
    url: str
    title: str
    product: Product | None = None
    category: str | None = None
    # a search results page: what was searched for
    query: str | None = None


_HOME = Page(PageKind.HOME, f"{SHOP_ORIGIN}/", "Computers, Laptops & Accessories" + TITLE_SUFFIX)
_DEALS = Page(PageKind.DEALS, f"{SHOP_ORIGIN}/deals", "Today's Deals" + TITLE_SUFFIX)
_CART = Page(PageKind.CART, f"{SHOP_ORIGIN}/cart", "Your Cart" + TITLE_SUFFIX)
_CHECKOUT = Page(PageKind.CHECKOUT, f"{SHOP_ORIGIN}/checkout", "Checkout" + TITLE_SUFFIX)
_ACCOUNT = Page(PageKind.ACCOUNT, f"{SHOP_ORIGIN}/account", "Your Account" + TITLE_SUFFIX)
_product_pages: dict[str, Page] = {}
_product_fields: dict[str, dict[str, Any]] = {}


def product_page(product: Product) -> Page:
    page = _product_pages.get(product.id)
    if page is None:
        page = Page(PageKind.PRODUCT, product.url, product.name + TITLE_SUFFIX, product, product.category)
        _product_pages[product.id] = page
    return page


def _product_field(product: Product) -> dict[str, Any]:
    # Shared between events: orjson only reads it, and defects copy before they damage a product.
    fields = _product_fields.get(product.id)
    if fields is None:
        fields = product.as_event_product()
        _product_fields[product.id] = fields
    return fields


def category_page(category: str, query: str = "") -> Page:
    url = f"{SHOP_ORIGIN}/category/{category}" + (f"?{query}" if query else "")
    return Page(PageKind.CATEGORY, url, CATEGORY_TITLES[category] + TITLE_SUFFIX, category=category)


@dataclass(slots=True)
class Shard:
    """What every visit of one unit of work shares: its RNG, its output and its counters."""

    rng: random.Random
    catalogue: Catalogue
    batch_size: int
    invalid_rate: float
    out: list[SentRequest]
    counters: SdkCounters
    # The shop's side, on a stream of its own so the traffic's draws never move: which orders go untracked.
    shop_rng: random.Random = field(default_factory=lambda: random.Random(0))
    untracked_share: float = 0.0
    orders: list[ShopOrder] = field(default_factory=list)

    def sdk(self, visit: Visit) -> TrackerEmulation:
        return client_for(
            visit, self.rng, self.out, self.counters, batch_size=self.batch_size, invalid_rate=self.invalid_rate
        )


def simulate(visit: Visit, shard: Shard) -> None:
    kind = visit.visitor.kind
    if kind is VisitorKind.HUMAN:
        _HumanVisit(visit, shard).run()
    elif kind is VisitorKind.CRAWLER:
        _crawl(visit, shard)
    else:
        _scrape(visit, shard)


def _dwell_ms(rng: random.Random, median_s: float) -> int:
    return min(int(rng.lognormvariate(0, 0.9) * median_s * SECOND_MS), 15 * MINUTE_MS) + 800


class _HumanVisit:
    def __init__(self, visit: Visit, shard: Shard) -> None:
        self.visit = visit
        self.shard = shard
        self.rng = shard.rng
        self.catalogue = shard.catalogue
        self.sdk = shard.sdk(visit)
        visitor = visit.visitor
        self.t = visit_start_ms(visit.day, visitor.location.utc_offset, self.rng)
        self.arrival: Arrival = arrival(self.rng, returning=not visit.first_visit, week=f"{visit.day:%Gw%V}".lower())
        self.referrer: str | None = self.arrival.referrer
        self.cart: list[tuple[Product, int]] = []
        self.stage = -1  # funnel depth this session will reach; decided at the first product view
        self.signed_in = False

    def run(self) -> None:
        rng = self.rng
        visit = self.visit
        if visit.login is LoginPlan.SIGNED_IN and visit.account is not None:
            self.sdk.identify(visit.account, self.t - int(rng.uniform(1, 20 * 24) * HOUR_MS))
            self.signed_in = True
        budget = 1 if rng.random() < BOUNCE_RATE else 2 + int(rng.lognormvariate(1.2, 0.8))
        login_at = int(rng.random() * budget) + 1 if visit.login in (LoginPlan.LOGS_IN, LoginPlan.SIGNS_UP) else 0
        idle_at = int(rng.random() * budget) + 1 if rng.random() < IDLE_SHARE else 0
        page = self._landing()
        seen = 0
        while True:
            self._open(page)
            seen += 1
            if page.kind is PageKind.PRODUCT and page.product is not None:
                if self.stage < 0:
                    self._decide_funnel()
                if self.stage >= 1 and self._shop(page.product, final=seen >= budget):
                    break
            if seen == login_at and not self.signed_in and self.stage < 2:
                self._sign_in(page)
            if seen == idle_at:
                self._go_idle()
            # A converting session keeps going until it reaches the cart; the cap only guards the loop.
            if (seen >= budget and self.stage < 1) or seen > budget + 12:
                break
            page = self._next_page(page, force_product=seen >= budget)
        self.sdk.finish(self.t)

    def _intent(self) -> float:
        visit = self.visit
        intent = self.arrival.intent
        if not visit.first_visit:
            intent *= 1.3
        if self.signed_in:
            intent *= 1.25
        if visit.visitor.device.device_class is DeviceClass.MOBILE:
            intent *= 0.75
        return intent

    def _decide_funnel(self) -> None:
        rng = self.rng
        intent = self._intent()
        self.stage = 0
        if rng.random() < CART_RATE * intent:
            self.stage = 1
            if rng.random() < min(CHECKOUT_RATE * (0.8 + 0.2 * intent), 0.9):
                self.stage = 2
                if rng.random() < PURCHASE_RATE:
                    self.stage = 3

    def _landing(self) -> Page:
        rng = self.rng
        landing = self.arrival.landing
        query = self.arrival.query
        if landing is Landing.PRODUCT:
            page = product_page(self.catalogue.popular_product(rng))
        elif landing is Landing.CATEGORY:
            return category_page(self.catalogue.category(rng), query)
        elif landing is Landing.DEALS:
            page = _DEALS
        else:
            page = _HOME
        if not query:
            return page
        return Page(page.kind, f"{page.url}?{query}", page.title, page.product, page.category)

    def _open(self, page: Page, on_load: Callable[[int], None] | None = None) -> None:
        """Load `page`: page_view, what the page reports on load (`on_load`, a search, a product view), maybe a
        click; then time passes."""
        rng = self.rng
        sdk = self.sdk
        t = self.t
        sdk.open_page(t, page.url, page.title, self.referrer)
        if on_load is not None:
            on_load(t + 100 + int(rng.random() * 400))
        median_s = 14.0
        if page.kind is PageKind.PRODUCT and page.product is not None:
            sdk.view_product(t + 150 + int(rng.random() * 700), _product_field(page.product))
            median_s = 32.0
        elif page.kind is PageKind.SEARCH:
            if page.query is not None:
                sdk.search(t + 100 + int(rng.random() * 400), page.query)
            median_s = 10.0
        dwell = _dwell_ms(rng, median_s)
        if rng.random() < CLICK_SHARE:
            sdk.track(t + int(dwell * rng.uniform(0.1, 0.5)), "click", self._click(page))
            if rng.random() < SECOND_CLICK_SHARE:
                sdk.track(t + int(dwell * rng.uniform(0.5, 0.95)), "click", self._click(page))
        # the next page's document.referrer (same origin: the whole URL)
        self.referrer = page.url
        self.t = t + dwell

    def _click(self, page: Page) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        if page.kind is PageKind.PRODUCT and page.product is not None:
            element = "image_gallery" if roll < 0.4 else "reviews_tab" if roll < 0.7 else "specs_tab"
            if roll > 0.9:
                element = "add_to_wishlist"
            return {"element": element, "productId": page.product.id}
        if page.kind is PageKind.CATEGORY:
            if roll < 0.6:
                brand = self.catalogue.product_in(page.category or "laptops", rng).brand
                return {"element": "filter", "value": f"brand:{brand}"}
            return {"element": "sort", "value": "price_asc" if roll < 0.8 else "rating"}
        if page.kind is PageKind.HOME:
            return {"element": "hero_banner" if roll < 0.5 else "nav_menu"}
        return {"element": "newsletter_signup" if roll < 0.2 else "footer_link"}

    def _next_page(self, page: Page, *, force_product: bool) -> Page:
        rng = self.rng
        catalogue = self.catalogue
        roll = rng.random()
        kind = page.kind
        if force_product:
            roll = 0.0
        if kind is PageKind.PRODUCT and page.product is not None:
            if roll < 0.35:
                return product_page(catalogue.product_in(page.product.category, rng))
            if roll < 0.45:
                cross = CROSS_SELL[page.product.category]
                return product_page(catalogue.product_in(cross[int(rng.random() * len(cross))], rng))
            if roll < 0.55:
                return product_page(catalogue.popular_product(rng))
            if roll < 0.8:
                return category_page(page.product.category)
            if roll < 0.95:
                return self._search()
            return _HOME
        if kind is PageKind.CATEGORY:
            if roll < 0.72:
                return product_page(catalogue.product_in(page.category or "laptops", rng))
            if roll < 0.84:
                return category_page(catalogue.category(rng))
            if roll < 0.94:
                return self._search()
            return _HOME
        if kind is PageKind.SEARCH:
            if roll < 0.78:
                return product_page(catalogue.product_in(page.category or "laptops", rng))
            if roll < 0.92:
                return self._search()
            return category_page(page.category or catalogue.category(rng))
        if kind is PageKind.DEALS:
            if roll < 0.8:
                return product_page(self._discounted())
            return category_page(catalogue.category(rng))
        if roll < 0.35:
            return product_page(catalogue.popular_product(rng))
        if roll < 0.72:
            return category_page(catalogue.category(rng))
        if roll < 0.88:
            return self._search()
        return _DEALS

    def _discounted(self) -> Product:
        for _ in range(8):
            product = self.catalogue.popular_product(self.rng)
            if product.discount_cents is not None:
                return product
        return product

    def _search(self) -> Page:
        query, category = self.catalogue.search_query(self.rng)
        url = f"{SHOP_ORIGIN}/search?q={quote_plus(query)}"
        # The results page reports the search as it loads.
        self.t += 400 + int(self.rng.random() * 1200)
        return Page(PageKind.SEARCH, url, f'Results for "{query}"' + TITLE_SUFFIX, category=category, query=query)

    def _shop(self, product: Product, *, final: bool) -> bool:
        """On a product page of a converting session: cart it, and when the cart is ready go on to checkout.

        Returns True when the visit ends here (checked out or gave up at the cart).
        """
        rng = self.rng
        if not self.cart:
            if not final and rng.random() < 0.45:
                return False  # keeps comparing products before deciding
            self._add(product)
            if rng.random() < 0.25:
                return False  # looks for an accessory to go with it
            return self._checkout_or_leave()
        if len(self.cart) == 1 and product.id != self.cart[0][0].id:
            self._add(product)
        return self._checkout_or_leave()

    def _add(self, product: Product) -> None:
        rng = self.rng
        quantity = 1 if product.category not in ("cables", "storage") or rng.random() < 0.7 else 2
        self.t += int(rng.uniform(0.3, 0.9) * 20 * SECOND_MS)
        self.sdk.add_to_cart(self.t, _product_field(product), quantity)
        self.cart.append((product, quantity))

    def _remove(self) -> None:
        product, quantity = self.cart.pop()
        self.t += int(self.rng.uniform(3, 20) * SECOND_MS)
        self.sdk.remove_from_cart(self.t, _product_field(product), quantity)

    def _checkout_or_leave(self) -> bool:
        rng = self.rng
        self.t += int(rng.uniform(2, 12) * SECOND_MS)
        self._open(_CART)
        if self.stage == 1:
            if rng.random() < 0.3:
                self._remove()
            return True
        if len(self.cart) > 1 and rng.random() < 0.2:
            self._remove()
        value_cents = sum(product.paid_cents * quantity for product, quantity in self.cart)
        self.sdk.begin_checkout(self.t, {"value": value_cents / 100, "currency": "USD", "itemCount": len(self.cart)})
        if not self.signed_in and self.visit.login is not LoginPlan.GUEST and self.visit.account is not None:
            self._sign_in(_CHECKOUT)
        else:
            self._open(_CHECKOUT)
        if self.stage == 3:
            self._purchase(value_cents)
        return True

    def _purchase(self, value_cents: int) -> None:
        rng = self.rng
        shard = self.shard
        order_id = f"SO-{rng.getrandbits(48):012X}"
        order = {
            "id": order_id,
            "revenue": value_cents / 100,
            "currency": "USD",
            "items": [
                {"productId": product.id, "quantity": quantity, "price": product.paid_cents / 100}
                for product, quantity in self.cart
            ],
        }
        page = Page(
            PageKind.CONFIRMATION,
            f"{SHOP_ORIGIN}/checkout/confirmation?order={order_id}",
            "Thank you for your order" + TITLE_SUFFIX,
        )
        self.t += int(rng.uniform(40, 240) * SECOND_MS)
        # Drawn only when some orders go untracked, so a run without them keeps the shop stream's draws too.
        tracked = shard.untracked_share <= 0 or shard.shop_rng.random() >= shard.untracked_share
        account = self.visit.account if self.signed_in else None
        shard.orders.append(
            ShopOrder(
                order_id,
                self.t,
                self.visit.visitor.client_id,
                account.sub if account is not None else None,
                tuple(OrderLine(product.id, quantity, product.paid_cents) for product, quantity in self.cart),
                "USD",
                tracked,
            )
        )
        # The order confirmation page reports the purchase as it loads, unless the browser blocks it.
        report = (lambda at: self.sdk.purchase(at, order)) if tracked else None
        referrer = self.referrer
        self._open(page, report)
        if rng.random() < THANK_YOU_RELOAD_SHARE:
            # The thank-you page reloaded (same document.referrer): its tracking code runs again, same order, new
            # event id.
            self.referrer = referrer
            self._open(page, report)

    def _sign_in(self, back_to: Page) -> None:
        """Off to the Cognito hosted UI and back (the page is left: a beacon), then the shop identifies the visitor
        with the id token on every page and reports the login on the page it comes back to."""
        rng = self.rng
        visit = self.visit
        account = visit.account
        if account is None:
            return
        self.sdk.leave(self.t)
        signs_up = visit.login is LoginPlan.SIGNS_UP
        self.t += int(rng.uniform(60, 240) if signs_up else rng.uniform(12, 75)) * SECOND_MS
        self.sdk.identify(account, self.t)
        self.signed_in = True
        method = account.provider.lower() if account.provider else "cognito"
        name = "sign_up" if signs_up else "login"
        # the hosted UI's redirect back sends no referrer
        self.referrer = None
        self._open(back_to, lambda at: self.sdk.track(at, name, {"method": method}))

    def _go_idle(self) -> None:
        """The tab sits in the background past the tracker's 30-minute session timeout."""
        self.sdk.hide(self.t)
        self.t += int(self.rng.uniform(31, 150) * MINUTE_MS)


def _crawl(visit: Visit, shard: Shard) -> None:
    """A search-engine renderer fetching pages one by one: full page loads, no clicks, no cart."""
    rng = shard.rng
    sdk = shard.sdk(visit)
    t = day_start_ms(visit.day) + int(rng.random() * DAY_MS)
    pages = 1 + min(int(rng.expovariate(1 / 8)), 60)
    left = t
    for _ in range(pages):
        roll = rng.random()
        if roll < 0.7:
            page = product_page(shard.catalogue.popular_product(rng))
        elif roll < 0.95:
            page = category_page(shard.catalogue.category(rng))
        else:
            page = _HOME
        sdk.open_page(t, page.url, page.title, None)
        if page.product is not None:
            sdk.view_product(t + 300, _product_field(page.product))
        left = t + 1_500 + int(rng.random() * 2_000)
        sdk.leave(left)
        t += int(rng.uniform(3, 40) * SECOND_MS)
    sdk.finish(left)


def _scrape(visit: Visit, shard: Shard) -> None:
    """A price scraper walking the catalogue in order, a product every second or two, for half an hour or so."""
    rng = shard.rng
    sdk = shard.sdk(visit)
    products = shard.catalogue.products
    t = day_start_ms(visit.day) + int(rng.uniform(0, 20) * HOUR_MS)
    first = int(rng.random() * len(products))
    for step in range(int(rng.uniform(400, 900))):
        product = products[(first + step) % len(products)]
        page = product_page(product)
        sdk.open_page(t, page.url, page.title, None)
        sdk.view_product(t + 120, _product_field(product))
        sdk.leave(t + 600)
        t += int(rng.uniform(0.9, 2.1) * SECOND_MS)
    sdk.finish(t)
