"""``clickstream``: run the warehouse's pieces locally with the same code the Lambdas and the EC2 run."""

from __future__ import annotations

import click

from clickstream.generate.command import generate_command
from clickstream.schema_command import schema_command
from clickstream.serve import serve_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="clickstream-warehouse")
def cli() -> None:
    """Clickstream Warehouse: ingest, load, transform and look at an e-commerce clickstream."""


cli.add_command(serve_command)
cli.add_command(generate_command)
cli.add_command(schema_command)


def main() -> None:
    cli()
