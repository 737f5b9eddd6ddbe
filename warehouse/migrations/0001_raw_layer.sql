-- The raw layer: what the loader lands, and the ledger that proves it landed each object exactly once.
-- The loader only lands raw JSON; typing, cleaning and modelling are dbt's (schemas staging/intermediate/marts).

create schema if not exists raw;
create schema if not exists ops;

-- One row per NDJSON line of an object in the raw bucket. Partitioned by day of received_at (the ingest's
-- receivedAt, or the object's hour when a line has none) so old days can be detached or dropped cheaply.
-- A partitioned table's key must contain the partition column; (s3_key, line_no) alone is kept unique by the
-- manifest, which admits each object once.
create table if not exists raw.raw_events (
    payload jsonb not null,
    s3_key text not null,
    line_no integer not null,
    received_at timestamptz not null,
    loaded_at timestamptz not null default now(),
    primary key (s3_key, line_no, received_at)
) partition by range (received_at);

-- dbt's incremental models read by arrival.
create index if not exists raw_events_loaded_at_idx on raw.raw_events (loaded_at);

-- One row per object loaded: the exactly-once ledger. Written in the same transaction as the object's rows.
create table if not exists raw.load_manifest (
    s3_key text primary key,
    etag text not null,
    size_bytes bigint not null,
    lines integer not null,
    rows_loaded integer not null,
    lines_rejected integer not null,
    object_hour timestamptz,
    source text not null check (source in ('events', 'compacted')),
    run_id uuid not null,
    loaded_at timestamptz not null default now()
);

create index if not exists load_manifest_hour_idx on raw.load_manifest (object_hour);

-- Lines (or whole objects, line_no 0) that could not be landed, with the bytes as they were and why.
create table if not exists raw.rejected_lines (
    s3_key text not null,
    line_no integer not null,
    raw_line bytea not null,
    reason text not null,
    run_id uuid not null,
    rejected_at timestamptz not null default now(),
    primary key (s3_key, line_no)
);

-- One row per loader run: its window, what it did, and how it ended.
create table if not exists raw.loader_runs (
    run_id uuid primary key,
    trigger text not null,
    source text not null,
    window_start timestamptz,
    window_end timestamptz,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    objects_listed integer not null default 0,
    objects_loaded integer not null default 0,
    objects_skipped integer not null default 0,
    objects_failed integer not null default 0,
    rows_loaded bigint not null default 0,
    lines_rejected bigint not null default 0,
    status text not null default 'running' check (status in ('running', 'succeeded', 'failed', 'partial')),
    error text
);

-- Day partitions are created on demand by the loader, which does not own raw_events (least privilege): this
-- function runs as its owner. Serialised by an advisory lock so two loaders never race on the catalogue.
create or replace function raw.ensure_day_partition(day date) returns void
language plpgsql security definer set search_path = pg_catalog, raw as $$
declare
    partition_name text := format('raw_events_%s', to_char(day, 'YYYYMMDD'));
begin
    perform pg_advisory_xact_lock(hashtext('raw.ensure_day_partition'));
    if to_regclass(format('raw.%I', partition_name)) is null then
        execute format(
            'create table raw.%I partition of raw.raw_events for values from (%L) to (%L)',
            partition_name, day::timestamp at time zone 'UTC', (day + 1)::timestamp at time zone 'UTC'
        );
    end if;
end;
$$;
