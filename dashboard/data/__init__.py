"""What each page reads, and the only place the dashboard reads from: the marts (and ``ops.transform_runs``).

One module per page, each with one loader (``overview.overview``, ``funnel.funnel`` …): what the page shows for
given filters, all of its queries. ``loaders.PAGE_LOADERS`` names them; the benchmark times exactly these.
"""
