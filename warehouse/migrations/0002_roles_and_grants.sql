-- Least privilege: the loader only lands raw rows, the transformer reads raw and owns dbt's schemas, the
-- dashboard only reads the marts. Roles are created without login here; `clickstream db migrate` gives them a
-- login and a password from the environment (never from code).

do $$
declare
    role_name text;
begin
    foreach role_name in array array['loader', 'transformer', 'dashboard'] loop
        if not exists (select from pg_roles where rolname = role_name) then
            execute format('create role %I nologin', role_name);
        end if;
    end loop;
end;
$$;

revoke all on schema raw from public;
revoke execute on function raw.ensure_day_partition(date) from public;

-- loader: append to the raw layer and its ledger; nothing else.
grant usage on schema raw to loader;
grant select, insert on raw.raw_events, raw.load_manifest, raw.rejected_lines, raw.loader_runs to loader;
grant update (finished_at, objects_listed, objects_loaded, objects_skipped, objects_failed, rows_loaded,
              lines_rejected, status, error) on raw.loader_runs to loader;
grant execute on function raw.ensure_day_partition(date) to loader;

-- transformer: read raw, own the schemas dbt builds.
grant usage on schema raw to transformer;
grant select on all tables in schema raw to transformer;
create schema if not exists staging authorization transformer;
create schema if not exists intermediate authorization transformer;
create schema if not exists marts authorization transformer;
alter schema staging owner to transformer;
alter schema intermediate owner to transformer;
alter schema marts owner to transformer;
grant usage on schema ops to transformer;

-- dashboard: the marts, and only the marts, including tables dbt creates later.
grant usage on schema marts to dashboard;
alter default privileges for role transformer in schema marts grant select on tables to dashboard;
