"""How the dashboard fits a phone (390 px wide): the filters in a drawer opened from the top, KPIs two a row, the
navbar menu closing after a choice, charts without plotly's toolbar on touch, tables that scroll sideways.

Plain CSS and a few lines of script, in the page itself: the app serves no static folder, and a file beside this
module would need package data to reach the warehouse EC2's wheel.
"""

from __future__ import annotations

from shiny import ui

# Bootstrap's "sm" breakpoint: below it bslib treats the screen as a phone (the sidebar becomes a drawer).
PHONE_MAX_WIDTH = "575.98px"

CSS = f"""
/* The filters bar: the way to the filters' drawer, with what is chosen, on phones only. */
.filters-bar {{ display: none; }}
@media (max-width: {PHONE_MAX_WIDTH}) {{
  .filters-bar {{ display: flex; align-items: center; gap: .5rem; margin-bottom: .5rem; }}
  .filters-bar .filters-summary {{ font-size: .8rem; line-height: 1.2; }}
  /* bslib's own toggle would take a row of its own above the page: the bar's button opens the drawer instead.
     Not display: none, which would stop the toggle's transition that bslib waits for before showing the drawer. */
  .bslib-sidebar-layout.sidebar-collapsed > .collapse-toggle {{ opacity: 0; pointer-events: none; }}
  .bslib-sidebar-layout.sidebar-collapsed[data-collapsible-mobile="true"] {{ grid-template-rows: 0 1fr; }}
  /* KPIs two a row, compact enough that the first row shows under the bar. */
  #overview-kpis .bslib-grid {{ grid-template-columns: repeat(2, minmax(0, 1fr)) !important; gap: .5rem; }}
  #overview-kpis .bslib-value-box .card-body {{ padding: .25rem; }}
  #overview-kpis .bslib-value-box .value-box-area {{ padding: .4rem .5rem; gap: .1rem; }}
  #overview-kpis .bslib-value-box p {{ margin-bottom: 0; }}
  #overview-kpis .bslib-value-box .value-box-value {{ font-size: 1.2rem; }}
  #overview-kpis .bslib-value-box .value-box-title {{ font-size: .8rem; }}
  #overview-kpis .bslib-value-box {{ margin-bottom: 0; }}
  /* Tables keep their columns and scroll sideways in their card rather than squeezing or being cut off. */
  .card-body {{ overflow-x: auto; }}
  .card-body table.table th, .card-body table.table td {{ white-space: nowrap; }}
  .card-header {{ flex-wrap: wrap; }}
}}
/* No plotly toolbar where there is no hover (a finger): it covers the chart and its buttons are too small. */
@media (hover: none) {{
  .js-plotly-plot .modebar-container {{ display: none !important; }}
}}
"""

# The navbar's collapsed menu stays open after a page is chosen (Bootstrap leaves it to the page): closed here on
# any choice, the page already shown too, so the page shows. The bar's button opens the drawer through bslib's own
# toggle (it keeps the drawer's state and its transitions right).
SCRIPT = """
document.addEventListener("click", (event) => {
  const choice = event.target.closest(".navbar-collapse [data-bs-toggle='tab']");
  const menu = choice && choice.closest(".navbar-collapse");
  if (menu && menu.classList.contains("show")) {
    bootstrap.Collapse.getOrCreateInstance(menu).hide();
  }
  if (event.target.closest("[data-open-filters]")) {
    const toggle = document.querySelector(".bslib-sidebar-layout > .collapse-toggle");
    if (toggle) toggle.click();
  }
});
"""


def head() -> ui.TagChild:
    return ui.head_content(ui.tags.style(CSS), ui.tags.script(SCRIPT))


def filters_bar(summary: ui.TagChild) -> ui.Tag:
    """Above every page on a phone: a button that opens the filters' drawer, and what they are set to."""
    return ui.div(
        ui.tags.button(
            "Filters",
            type="button",
            class_="btn btn-sm btn-primary",
            data_open_filters="",
            aria_label="Show the filters",
        ),
        ui.div(summary, class_="filters-summary text-muted"),
        class_="filters-bar",
    )
