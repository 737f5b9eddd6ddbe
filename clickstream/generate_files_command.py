"""``clickstream generate-files``: write (or ``--check``) every file generated from another.

The event contract's JSON Schema (docs/schema/event-v1.schema.json, from the ingest's model), the event
passthroughs' contract columns of the marts (from dbt_project.yml's vars) and the ingest's copy of the bot rules
(ingest_lambda/bot_rules.py, from the bot_user_agents seed) and the dashboard's rates (dashboard/rates.py, from
dbt_project.yml's var rates). One command, so a change to any source is one
regeneration; ``make generate`` and ``make generate-check`` run it.
"""

from __future__ import annotations

from pathlib import Path

import click

from clickstream.schema_command import DEFAULT_SCHEMA_PATH, render_schema
from local_only.bot_rules_module import BOT_RULES_MODULE, BotRulesError, render_bot_rules
from local_only.event_passthroughs import PassthroughError, passthrough_contracts
from local_only.rates_module import RATES_MODULE, RatesError, render_rates


def generated_files(project_dir: Path) -> dict[Path, str]:
    """Every generated file under `project_dir` with the text its source says it should have."""
    try:
        contracts = passthrough_contracts(project_dir)
        bot_rules = render_bot_rules(project_dir)
        rates = render_rates(project_dir)
    except (PassthroughError, BotRulesError, RatesError) as error:
        raise click.ClickException(str(error)) from error
    return {
        project_dir / DEFAULT_SCHEMA_PATH: render_schema(),
        **contracts,
        project_dir / BOT_RULES_MODULE: bot_rules,
        project_dir / RATES_MODULE: rates,
    }


@click.command("generate-files")
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The repository root (where dbt_project.yml is).",
)
@click.option("--check", is_flag=True, help="Exit non-zero if a file differs from its source instead of writing.")
def generate_files_command(project_dir: Path, check: bool) -> None:
    """Regenerate the event JSON Schema, the marts' passthrough contract columns, the bot rules and the rates."""
    stale = []
    for path, text in generated_files(project_dir).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if check:
            stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}")
    if stale:
        raise click.ClickException(f"out of date: {', '.join(stale)}: run `make generate`")
    click.echo("generated files are up to date" if check else "generate-files: done")
