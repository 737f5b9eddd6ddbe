"""``clickstream schema``: write the event contract's JSON Schema, generated from the ingest's model."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ingest_lambda.contract import request_json_schema

DEFAULT_SCHEMA_PATH = Path("docs/schema/event-v1.schema.json")


def render_schema() -> str:
    return json.dumps(request_json_schema(), indent=2, sort_keys=False) + "\n"


@click.command("schema")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_SCHEMA_PATH,
    show_default=True,
    help="Where to write the schema; '-' for standard output.",
)
@click.option("--check", is_flag=True, help="Exit non-zero if the file differs from the model instead of writing.")
def schema_command(output: Path, check: bool) -> None:
    """Write the JSON Schema of a POST /clickstream body (event contract v1)."""
    text = render_schema()
    if str(output) == "-":
        click.echo(text, nl=False)
        return
    if check:
        if not output.exists() or output.read_text() != text:
            raise click.ClickException(f"{output} is out of date: run `clickstream schema`")
        click.echo(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    click.echo(f"wrote {output}")
