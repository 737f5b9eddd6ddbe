"""``clickstream``: run the warehouse's pieces locally with the same code the Lambdas and the EC2 run."""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute". Imported only when that command runs (click's lazy-loading pattern), so a quick
# command never pays for dbt, pyarrow or Shiny, and one broken optional piece cannot take the others down.
SUBCOMMANDS = {
    "serve": "local_only.serve:serve_command",
    "shop": "local_only.shop_server:shop_command",
    "generate": "local_only.simulator.command:generate_command",
    "schema": "clickstream.schema_command:schema_command",
    "generate-files": "clickstream.generate_files_command:generate_files_command",
    "db": "clickstream.db_command:db_group",
    "load": "clickstream.load_command:load_command",
    "demo": "local_only.demo:demo_command",
    "transform": "transform_runner.command:transform_command",
    "extract-shop": "shop_extract.command:extract_shop_command",
    "hourly": "local_only.hourly:hourly_command",
    "schedule": "local_only.schedule:schedule_command",
    "dashboard": "clickstream.dashboard_command:dashboard_command",
    "report": "clickstream.report_command:report_command",
}


class LazyGroup(click.Group):
    def __init__(self, *args: object, lazy_subcommands: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy_subcommands = lazy_subcommands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_subcommands:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = self.lazy_subcommands[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy_subcommands[cmd_name]} is not a click command")
        return command


@click.group(
    cls=LazyGroup,
    lazy_subcommands=SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)
@click.version_option(package_name="clickstream-warehouse")
def cli() -> None:
    """Clickstream Warehouse: ingest, load, transform and look at an e-commerce clickstream."""


def main() -> None:
    cli()
