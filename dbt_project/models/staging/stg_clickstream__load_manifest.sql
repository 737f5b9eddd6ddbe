-- One row per raw object the loader landed (its exactly-once ledger), renamed for the marts. Nothing is derived.

with

source as (

    select * from {{ source('clickstream', 'load_manifest') }}

),

renamed as (

    select
        ---------- ids
        s3_key,
        etag,
        run_id,

        ---------- object
        source as object_source,
        object_hour,
        size_bytes,
        lines,
        rows_loaded,
        lines_rejected,

        ---------- timestamps
        loaded_at
    from source

)

select * from renamed
