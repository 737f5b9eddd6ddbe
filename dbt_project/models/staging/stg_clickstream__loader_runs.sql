-- One row per loader run (what it was asked to load, what it did, how it ended), renamed for the marts.

with

source as (

    select * from {{ source('clickstream', 'loader_runs') }}

),

renamed as (

    select
        ---------- ids
        run_id,

        ---------- run
        trigger as run_trigger,
        source as run_source,
        status as run_status,
        error as error_message,
        window_start,
        window_end,

        ---------- counts
        objects_listed,
        objects_loaded,
        objects_skipped,
        objects_failed,
        rows_loaded,
        lines_rejected,

        ---------- timestamps
        started_at,
        finished_at
    from source

)

select * from renamed
