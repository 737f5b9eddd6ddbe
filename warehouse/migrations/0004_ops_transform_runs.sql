-- One row per `clickstream transform` attempt: the dbt build's ledger, as raw.loader_runs is the loader's. The
-- dashboard's Data health page reads the last successful build and its freshness from here; an operator reads why
-- a build failed or never got the lock.

create schema if not exists ops;

create table if not exists ops.transform_runs (
    run_id uuid primary key,
    -- What started it: cli, hourly, schedule, demo.
    trigger text not null default 'cli',
    started_at timestamptz not null,
    -- When the build lock was taken; null when it never was (lock_timeout).
    locked_at timestamptz,
    finished_at timestamptz,
    status text not null default 'running'
        check (status in ('running', 'success', 'failed', 'lock_timeout')),
    models_built integer not null default 0,
    tests_failed integer not null default 0,
    -- {"marts.sessions": 120, ...}: rows each incremental mart holds after the build less before it.
    rows_added jsonb not null default '{}',
    -- {"marts.sessions": 450, ...}: rows each incremental model's insert wrote (dbt's rows_affected).
    rows_written jsonb not null default '{}',
    -- Minutes from the newest event in marts.clickstream_events to the end of the build (the freshness metric).
    freshness_minutes numeric,
    newest_event_at timestamptz,
    error text,
    host text not null,
    pid integer not null,
    db_user text not null default current_user,
    dbt_args text[] not null default '{}',
    check (status = 'running' or finished_at is not null)
);

create index if not exists transform_runs_started_at_idx on ops.transform_runs (started_at);
-- "The last successful build" is the dashboard's question.
create index if not exists transform_runs_success_idx on ops.transform_runs (finished_at) where status = 'success';

-- transformer: records its own runs. dashboard: reads them, and nothing else in ops.
grant select, insert, update on ops.transform_runs to transformer;
grant usage on schema ops to dashboard;
grant select on ops.transform_runs to dashboard;
