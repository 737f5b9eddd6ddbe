"""What a page shows when its data cannot be read: a plain message, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from shiny import ui

from dashboard.warehouse import MartsMissing
from warehouse.connection import WarehouseUnreachable

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    message: str


def attempt(load: Callable[[], T]) -> T | Problem:
    """The page's data, or the reason the warehouse could not give it."""
    try:
        return load()
    except WarehouseUnreachable as error:
        return Problem(str(error))
    except MartsMissing as error:
        return Problem(f"The marts are not built yet ({error}).")


def when_loaded(
    data: Callable[[], T | Problem],
) -> Callable[[Callable[[T], ui.TagChild]], Callable[[], ui.TagChild]]:
    """Under ``@render.ui``: the output built from the page's data, or the problem that kept it away."""

    def decorate(build: Callable[[T], ui.TagChild]) -> Callable[[], ui.TagChild]:
        def rendered() -> ui.TagChild:
            loaded = data()
            return problem_ui(loaded) if isinstance(loaded, Problem) else build(loaded)

        # The output's id is the function's name. Not functools.wraps: Shiny would read build's parameters
        # through __wrapped__ and refuse a render function that takes one.
        rendered.__name__ = rendered.__qualname__ = build.__name__
        return rendered

    return decorate


def problem_ui(problem: Problem) -> ui.Tag:
    return ui.div(ui.strong("The warehouse cannot answer right now. "), problem.message, class_="alert alert-warning")


def not_filtered_note(mart: str, grain: str) -> ui.Tag:
    """Says which shared filters a page cannot apply, rather than silently ignoring them."""
    return ui.p(
        f"Device type and channel do not apply here: {mart} is by {grain}. The date range does.",
        class_="text-muted small",
    )
