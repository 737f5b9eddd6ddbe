{{
    config(
        materialized='table',
        indexes=[
            {'columns': ['received_hour']},
        ],
    )
}}

-- One row per received hour (UTC), kind and reason: how many events or requests the ingest refused, and why.
-- Rebuilt whole at every build: refusals are a small part of the traffic (the loader lands them in
-- raw.ingest_refusals; stg_clickstream__ingest_refusals names each by its first reason).

with

refusals as (

    select
        {{ utc_hour('received_at') }} as received_hour,
        refusal_kind,
        refusal_reason,
        request_id,
        loaded_at
    from {{ ref('stg_clickstream__ingest_refusals') }}

),

hourly as (

    select
        received_hour,
        refusal_kind,
        refusal_reason,
        count(*)::bigint as refusals,
        count(distinct request_id)::bigint as requests,
        cast(max(loaded_at) as {{ type_timestamptz() }}) as last_loaded_at
    from refusals
    group by received_hour, refusal_kind, refusal_reason

)

select * from hourly
