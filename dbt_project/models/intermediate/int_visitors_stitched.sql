{{
    config(
        materialized='incremental',
        unique_key='visitor_id',
        incremental_strategy=keyed_incremental_strategy(),
        indexes=[{'columns': ['visitor_id'], 'unique': True}],
    )
}}

-- The identity map: for every visitor ever seen with a userId, the userId of its latest identified event (by event
-- time). Incremental without a full refresh: the identified events staged since the last build compete with the
-- visitor's current entry, and the later one wins, so a late event carrying an older userId changes nothing.

with

staged_since_last_build as (

    select
        visitor_id,
        user_id,
        event_timestamp,
        event_id,
        staged_at
    from {{ ref('stg_clickstream__events') }}
    {% if is_incremental() %}
        where
            staged_at > (
                select coalesce(max(previous.staged_at), {{ earliest_timestamp() }}) from {{ this }} as previous
            )
    {% endif %}

),

identified_events as (

    select
        visitor_id,
        user_id,
        event_timestamp as identified_at,
        event_id,
        staged_at
    from staged_since_last_build
    where user_id is not null

),

candidates as (

    select
        visitor_id,
        user_id,
        identified_at,
        event_id,
        staged_at
    from identified_events
    {% if is_incremental() %}
        union all
        select
            previous.visitor_id,
            previous.user_id,
            previous.identified_at,
            previous.event_id,
            previous.staged_at
        from {{ this }} as previous
        where previous.visitor_id in (select identified_events.visitor_id from identified_events)
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (partition by visitor_id order by identified_at desc, event_id desc) as recency
    from candidates

),

final as (

    select
        visitor_id,
        user_id,
        identified_at,
        event_id,
        staged_at
    from ranked
    where recency = 1

)

select * from final
