"""Deliberately broken events, the kind a front-end bug ships: each one must be refused by event contract v1."""

from __future__ import annotations

import random
from typing import Any


def break_event(event: dict[str, Any], rng: random.Random) -> str:
    """Damage `event` in place so that the ingest rejects it; returns what was done, for debugging."""
    product = event.get("product")
    if isinstance(product, dict):
        if event["eventName"] == "view_product" and rng.random() < 0.5:
            # A product page rendered before its data loaded.
            del event["product"]
            return "missing product"
        # Price computed from an empty string or a refund line.
        event["product"] = {**product, "price": -abs(float(product.get("price") or 1.0))}
        return "negative price"
    order = event.get("order")
    if isinstance(order, dict):
        event["order"] = {**order, "revenue": -float(order["revenue"])}
        return "negative revenue"
    roll = rng.random()
    if roll < 0.4:
        # A developer added a top-level field instead of putting it under properties.
        event["cartId"] = f"cart-{rng.getrandbits(32):08x}"
        return "unknown field"
    if roll < 0.7:
        event["eventTimestamp"] = "Invalid Date"
        return "bad timestamp"
    event["eventName"] = "Page View"
    return "bad event name"
