{#- The loaded_at after which raw rows may be new to a model whose newest loaded_at read so far is `newest_read` (a
    scalar SQL expression), as text for a timestamptz constant. Run while compiling, so the model's query carries a
    constant the planner can estimate and prune by.

    A raw row's loaded_at is its loader transaction's start, so a transaction that started before the last build
    read the table but committed after it carries a loaded_at older than what that build saw. Such a transaction
    belongs to a loader run (raw.loader_runs) that had not finished when the rows at `newest_read` were loaded:
    rows loaded after the earliest start of those runs are read again. When no run was in flight, nothing older
    than `newest_read` can still appear. loaded_at_lookback_minutes stays the outer bound (a crashed run never
    finishes; the lookback was the whole safeguard before the ledger was consulted), so a build never re-reads
    more than it did, and right after a backfill it re-reads the rows the next hour brought, not the backfill.
    The ledger is named with source() only while executing, so it is no dependency of the calling models: the
    loader writes it and nothing builds it, and their unit tests need not give it as an input. -#}
{% macro raw_loaded_since(newest_read) %}
    {#- A second before the run's start: its first transaction may share the run row's timestamp. -#}
    {% set since = 'greatest('
        ~ dbt.dateadd('minute', -var('loaded_at_lookback_minutes'), 'newest.loaded_at')
        ~ ', least(newest.loaded_at, ' ~ dbt.dateadd('second', -1, 'in_flight.started_at') ~ '))' %}
    {% set since_query %}
        select {{ timestamptz_as_text(since) }}
        from (select coalesce({{ newest_read }}, {{ earliest_timestamp() }}) as loaded_at) as newest
        cross join lateral (
            select min(runs.started_at) as started_at
            from {{ source('clickstream', 'loader_runs') }} as runs
            where runs.finished_at is null or runs.finished_at > newest.loaded_at
        ) as in_flight
    {% endset %}
    {{ return(run_query(since_query).columns[0].values()[0]) }}
{% endmacro %}
