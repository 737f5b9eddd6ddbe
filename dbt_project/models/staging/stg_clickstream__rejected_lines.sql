-- One row per line the loader could not land (line_no 0: the whole object), renamed for the marts. Nothing is
-- derived.

with

source as (

    select * from {{ source('clickstream', 'rejected_lines') }}

),

renamed as (

    select
        ---------- ids
        s3_key,
        line_no,
        run_id,

        ---------- rejection
        reason as rejection_reason,
        raw_line,

        ---------- timestamps
        rejected_at
    from source

)

select * from renamed
