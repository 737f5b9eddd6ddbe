-- PostgreSQL's JIT compiles a query when its estimated cost is high, which on a warehouse this size means most of
-- dbt's incremental statements and the dashboard's filtered reads: it added seconds to queries that run in
-- milliseconds (measured at 1M events: 13 s vs 0.5 s for pipeline_health_hourly). Off for the two roles that run
-- them; the loader's COPY does not use it.
alter role transformer set jit = off;
alter role dashboard set jit = off;
