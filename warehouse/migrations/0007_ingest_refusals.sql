-- What the ingest refused (rejected/YYYY/MM/DD/HH/rejected-<uuid>.json, one refused event or request per line),
-- landed by the loader as raw.raw_events is: each line once, its object recorded in raw.load_manifest in the same
-- transaction (source 'rejected'), so dbt can count refusals by hour and reason (docs/loader.md).
-- Not partitioned: refusals are a small fraction of the traffic, and they are read whole by one staging model.

create table if not exists raw.ingest_refusals (
    payload jsonb not null,
    s3_key text not null,
    line_no integer not null,
    received_at timestamptz not null,
    loaded_at timestamptz not null default now(),
    primary key (s3_key, line_no)
);

create index if not exists ingest_refusals_loaded_at_idx on raw.ingest_refusals (loaded_at);

-- The manifest records refusal objects too; its source says which kind of object it is.
alter table raw.load_manifest drop constraint if exists load_manifest_source_check;
alter table raw.load_manifest add constraint load_manifest_source_check
    check (source in ('events', 'compacted', 'rejected'));

-- A run's refusal rows, beside its event rows (rows_loaded).
alter table raw.loader_runs add column if not exists refusals_loaded bigint not null default 0;

-- loader: append refusals, and count them in its run's row. transformer: read them.
grant select, insert on raw.ingest_refusals to loader;
grant update (refusals_loaded) on raw.loader_runs to loader;
grant select on raw.ingest_refusals to transformer;
