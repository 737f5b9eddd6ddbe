-- The shop's own database, landed as it is by `clickstream extract-shop` (shop_extract/, docs/shop-database.md):
-- dlt writes raw_shop (and merges through raw_shop_staging), as the transformer role, which dbt then reads.
-- Each extract run is a row of ops.shop_extract_runs, as each build is a row of ops.transform_runs.

create schema if not exists raw_shop authorization transformer;
create schema if not exists raw_shop_staging authorization transformer;
alter schema raw_shop owner to transformer;
alter schema raw_shop_staging owner to transformer;
revoke all on schema raw_shop, raw_shop_staging from public;

create table if not exists ops.shop_extract_runs (
    run_id uuid primary key,
    -- What started it: cli, hourly, schedule, demo.
    trigger text not null default 'cli',
    started_at timestamptz not null,
    -- When the extract lock was taken; null when it never was (lock_timeout).
    locked_at timestamptz,
    finished_at timestamptz,
    status text not null default 'running'
        check (status in ('running', 'success', 'failed', 'lock_timeout')),
    full_refresh boolean not null default false,
    -- {"order": 120, ...}: rows each shop table's extract read this run (the overlap included).
    rows_extracted jsonb not null default '{}',
    -- dlt's load id(s) of the run: raw_shop._dlt_loads and each row's _dlt_load_id.
    load_ids text[] not null default '{}',
    error text,
    host text not null,
    pid integer not null,
    db_user text not null default current_user,
    check (status = 'running' or finished_at is not null)
);

create index if not exists shop_extract_runs_started_at_idx on ops.shop_extract_runs (started_at);

grant select, insert, update on ops.shop_extract_runs to transformer;
grant select on ops.shop_extract_runs to dashboard;
