"""The shop owner's dashboard: settings, the one data-access module, charts and one Shiny module per page.

The Shiny entry point is ``shiny/app.py``; this package holds everything it imports, under a name that cannot
shadow the ``shiny`` library.
"""
