"""Where the report goes: Amazon SES (the API v2's SendEmail, text and HTML parts), or files in a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from owner_report.render import Rendered
from owner_report.settings import ReportSettings


def send_email(ses: Any, settings: ReportSettings, message: Rendered) -> str:
    """One e-mail to every recipient, from the verified identity; SES's message id."""
    utf8 = "UTF-8"
    response = ses.send_email(
        FromEmailAddress=settings.from_address,
        Destination={"ToAddresses": list(settings.to_addresses)},
        Content={
            "Simple": {
                "Subject": {"Data": message.subject, "Charset": utf8},
                "Body": {
                    "Text": {"Data": message.text, "Charset": utf8},
                    "Html": {"Data": message.html, "Charset": utf8},
                },
            }
        },
    )
    return str(response["MessageId"])


def write_files(folder: Path, name: str, message: Rendered) -> tuple[Path, Path]:
    """`<name>.html` and `<name>.txt` in `folder` (created), replacing an earlier report of the same days."""
    folder.mkdir(parents=True, exist_ok=True)
    html, text = folder / f"{name}.html", folder / f"{name}.txt"
    html.write_text(message.html, encoding="utf-8")
    text.write_text(message.text, encoding="utf-8")
    return html, text
