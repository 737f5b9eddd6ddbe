-- One row per refusal the ingest kept (raw.ingest_refusals: a refused event, or a refused request with its body
-- sample), typed for the marts. A refusal can give several reasons; its first names it (the path and the message,
-- as the ingest answered the client), and the others are counted.

with

source as (

    select * from {{ source('clickstream', 'ingest_refusals') }}

),

typed as (

    select
        ---------- ids
        s3_key,
        line_no,
        {{ json_text('payload', 'requestId') }} as request_id,

        ---------- refusal
        -- A refused event carries its index in the batch and the event; a refused request its HTTP status.
        case
            when {{ json_has_key('payload', 'index') }} or {{ json_has_key('payload', 'event') }} then 'event'
            else 'request'
        end as refusal_kind,
        {{ json_number('payload', 'status') }}::integer as http_status,
        {{ json_text('payload', 'event.eventName') }} as event_name,
        left(
            coalesce(
                nullif(
                    concat_ws(
                        ': ',
                        nullif({{ json_text('payload', ['errors', 0, 'path']) }}, ''),
                        {{ json_text('payload', ['errors', 0, 'message']) }}
                    ),
                    ''
                ),
                '(no reason given)'
            ),
            200
        ) as refusal_reason,
        {{ json_array_size('payload', 'errors') }} as error_count,

        ---------- timestamps
        received_at,
        loaded_at
    from source

)

select * from typed
