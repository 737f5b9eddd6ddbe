{{
    config(
        materialized='incremental',
        unique_key='visitor_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[{'columns': ['visitor_id'], 'unique': True}],
    )
}}

-- The identity map: for every visitor ever seen with a userId, the userId of its latest identified event (by event
-- time). Incremental without a full refresh: the identified events staged since the last build compete with the
-- visitor's current entry, and the later one wins, so a late event carrying an older userId changes nothing.

with

identified_events as (

    select
        visitor_id,
        user_id,
        event_timestamp as identified_at,
        event_id,
        staged_at
    from {{ ref('stg_clickstream__events') }}
    where
        user_id is not null
        {% if is_incremental() %}
            and staged_at > (select coalesce(max(staged_at), '-infinity'::timestamptz) from {{ this }})
        {% endif %}

),

candidates as (

    select visitor_id, user_id, identified_at, event_id, staged_at from identified_events
    {% if is_incremental() %}
        union all
        select visitor_id, user_id, identified_at, event_id, staged_at
        from {{ this }}
        where visitor_id in (select identified_events.visitor_id from identified_events)
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
