-- pipeline_health_hourly asks every hour which objects were loaded since its last build (loaded_at after a bound
-- from raw.loader_runs): without an index that read every manifest row, one per object ever loaded, so the hourly
-- build grew with history. The loader adds one manifest row per object (COPY), so the index costs it little; the
-- figures are in docs/benchmarks.md.

create index if not exists load_manifest_loaded_at_idx on raw.load_manifest (loaded_at);
