"""The alert: orders or events below a share of the comparison period's. A comparison period without any is no
ground for an alert (a new shop, the first week of data): the report says there is nothing to compare with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dashboard import formatting
from owner_report.summary import Summary

Verdict = Literal["below", "ok", "no_comparison", "off"]


@dataclass(frozen=True)
class Check:
    measure: str  # "orders" or "events"
    current: float
    previous: float | None
    share: float
    verdict: Verdict

    def describe(self) -> str:
        if self.verdict == "off":
            return f"{self.measure}: {formatting.count(self.current)} (the alert is off)"
        if self.verdict == "no_comparison":
            return (
                f"{self.measure}: {formatting.count(self.current)}; no comparison data "
                "(the comparison period has none), so no alert"
            )
        assert self.previous is not None  # every other verdict has a comparison
        compared = (
            f"{self.measure}: {formatting.count(self.current)} against {formatting.count(self.previous)} "
            f"({formatting.change(self.current, self.previous)})"
        )
        if self.verdict == "below":
            return f"{compared}, below {formatting.percent(self.share)} of the comparison period"
        return compared


def check(measure: str, current: float, previous: float | None, share: float) -> Check:
    """Below when `current` is under `share` of a `previous` that has any; exactly the share is not below."""
    if share <= 0:
        return Check(measure, current, previous, share, "off")
    if not previous:
        return Check(measure, current, previous, share, "no_comparison")
    verdict: Verdict = "below" if current < share * previous else "ok"
    return Check(measure, current, previous, share, verdict)


def checks(summary: Summary, share: float) -> list[Check]:
    previous = summary.overview.previous
    return [
        check(
            "orders", summary.overview.current["orders"] or 0, None if previous is None else previous["orders"], share
        ),
        check("events", summary.events, summary.previous_events, share),
    ]


def publish_alert(sns: Any, topic_arn: str, subject: str, text: str) -> str:
    """One message on the alarm topic (its e-mail subscription gets it). SNS takes a subject of at most 100 ASCII
    characters: the dash for "no value" becomes a hyphen, anything else not ASCII a question mark."""
    plain = subject.replace(formatting.DASH, "-").encode("ascii", "replace").decode("ascii")
    response = sns.publish(TopicArn=topic_arn, Subject=plain[:100], Message=text)
    return str(response["MessageId"])
