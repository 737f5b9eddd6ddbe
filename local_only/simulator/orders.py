"""The orders visits place, as the shop's backend records them: what ``--shop-database`` writes (shop_database).

Whether the visitor's browser reports the purchase is drawn from the unit's second RNG stream (``plan.py``), so
the traffic of a run without a shop database, whose untracked share is 0, is what it always was.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_UNTRACKED_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: str
    quantity: int
    unit_cents: int


@dataclass(frozen=True, slots=True)
class ShopOrder:
    """An order as checkout placed it: the id, total, items and currency of the purchase event when it was sent."""

    id: str
    placed_ms: int
    # the tracker's clientId the checkout page had (the shop stores it on the order)
    client_id: str
    # the visitor's account (Cognito sub) when signed in at checkout; None for a guest checkout
    user_sub: str | None
    lines: tuple[OrderLine, ...]
    currency: str
    # False: the browser sent no purchase event for it (an ad blocker, consent declined on the confirmation page)
    tracked: bool

    @property
    def total_cents(self) -> int:
        return sum(line.quantity * line.unit_cents for line in self.lines)
