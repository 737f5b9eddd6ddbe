"""Options the local commands share (`clickstream serve`, `clickstream shop`, `clickstream demo`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

_Command = TypeVar("_Command", bound=Callable[..., object])


def port_option(*param_decls: str, default: int, help: str, any_free: bool = False) -> Callable[[_Command], _Command]:
    """A TCP port option; with `any_free`, 0 asks the system for a free port (tests run servers side by side)."""
    return click.option(
        *param_decls,
        default=default,
        show_default=True,
        type=click.IntRange(0 if any_free else 1, 65535),
        help=f"{help} 0 picks a free port." if any_free else help,
    )
