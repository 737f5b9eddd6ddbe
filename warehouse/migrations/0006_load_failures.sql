-- Objects the loader could not read after its retries (or hours it could not list), so that no readable event is
-- left behind once their hour leaves the lookback: every later scheduled run retries each open row, whatever its
-- age, and the transaction that finally loads an object sets its resolved_at. A row that never resolves is a
-- permanent failure for an operator (docs/loader.md says how to find them).

create table if not exists raw.load_failures (
    -- The object's key, or an hour's prefix (events/YYYY/MM/DD/HH/) when listing the hour failed.
    s3_key text primary key,
    object_hour timestamptz not null,
    etag text,
    attempts integer not null default 1,
    first_failed_at timestamptz not null default now(),
    last_failed_at timestamptz not null default now(),
    error text not null,
    run_id uuid not null,
    resolved_at timestamptz
);

create index if not exists load_failures_open_idx on raw.load_failures (object_hour) where resolved_at is null;

grant select, insert on raw.load_failures to loader;
grant update (etag, attempts, last_failed_at, error, run_id, resolved_at) on raw.load_failures to loader;
grant select on raw.load_failures to transformer;
