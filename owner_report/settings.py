"""The report's own settings (``REPORT_*``), parsed once per run into a typed object (``clickstream report`` makes
it before it reads anything); the warehouse connection is ``DW_PG_*``.

Empty addresses mean no e-mail (the report is written to ``REPORT_OUTPUT_DIR`` instead); an empty topic means no
alert is published (the alert still shows in the report).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# One address, plainly: SES refuses the rest, and the template passes these through a shell command.
_ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")


class ReportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPORT_", case_sensitive=False, frozen=True)

    # The SES identity the e-mail is sent from (verified in SES: docs/deploy.md), and its recipients.
    from_address: str = ""
    # Comma separated in the environment.
    to_addresses: Annotated[tuple[str, ...], NoDecode] = ()
    # The stack's AlarmTopic; empty: no alert is published.
    alert_topic_arn: str = ""
    # Alert when orders or events are below this share (percent) of the comparison period's; 0 turns it off.
    alert_below_percent: float = Field(default=50, ge=0, le=100)
    # Where the report is written when it is not e-mailed (or when --out names another folder).
    output_dir: Path = Path(".data/reports")

    @field_validator("to_addresses", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("from_address")
    @classmethod
    def _one_address(cls, value: str) -> str:
        value = value.strip()
        if value and not _ADDRESS.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value

    @field_validator("to_addresses")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [address for address in value if not _ADDRESS.match(address)]
        if wrong:
            raise ValueError(f"not e-mail addresses: {', '.join(map(repr, wrong))}")
        return value

    @field_validator("alert_topic_arn")
    @classmethod
    def _topic(cls, value: str) -> str:
        value = value.strip()
        if value and not _TOPIC_ARN.match(value):
            raise ValueError(f"not an SNS topic ARN: {value!r}")
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> ReportSettings:
        if bool(self.from_address) != bool(self.to_addresses):
            raise ValueError("set both REPORT_FROM_ADDRESS and REPORT_TO_ADDRESSES to e-mail the report, or neither")
        return self

    @property
    def sends_email(self) -> bool:
        return bool(self.from_address and self.to_addresses)

    @property
    def alert_share(self) -> float:
        return self.alert_below_percent / 100
