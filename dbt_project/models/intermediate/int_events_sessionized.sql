{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_touched_window('event_timestamp') }}",
        indexes=[
            {'columns': ['event_id'], 'unique': True},
            {'columns': ['visitor_id', 'event_timestamp']},
            {'columns': ['session_key']},
            {'columns': ['staged_at']},
            {'columns': ['order_id']},
        ],
    )
}}

{#- staged_at: int_visitors_touched's watermark (the newest staged_at here) is read at every build. order_id: only
    purchases carry one, so int_orders_deduplicated and int_periods_touched find the orders without reading every
    event. -#}

-- Every event with its session. A visitor's events in event-time order; a session starts at the first event,
-- after a gap longer than session_timeout_minutes, or where the client's sessionId changes (an event without a
-- sessionId is no change: the next sessionId is compared with the last one sent before it in the same active
-- period). Nothing else splits a session: not midnight, not the hour, not the build. session_key is the hash of
-- the visitor and the session's first event, so the same events always give the same key.
--
-- Incremental: the window int_visitors_touched names is deleted (pre-hook) and worked out again from staging.

with

staged_events as (

    select staged.*
    from {{ ref('stg_clickstream__events') }} as staged
    {{ join_touched_window('staged') }}

),

ordered as (

    select
        *,
        coalesce(
            event_timestamp > {{ dbt.dateadd(
                'minute', var('session_timeout_minutes'), 'lag(event_timestamp) over visitor_timeline'
            ) }},
            true
        ) as is_after_timeout
    from staged_events
    window visitor_timeline as (partition by visitor_id order by event_timestamp, event_id)

),

-- A sessionId change is judged against the last sessionId the visitor sent in the same active period (no gap
-- longer than the timeout): an event without one neither starts a session nor hides a change after it.
active_periods as (

    select
        *,
        {{ count_if('is_after_timeout') }} over visitor_timeline as active_period,
        -- Each event with a sessionId opens a group, which the events without one after it join.
        count(session_id) over visitor_timeline as session_id_group
    from ordered
    window visitor_timeline as (partition by visitor_id order by event_timestamp, event_id rows unbounded preceding)

),

carried as (

    select
        *,
        max(session_id) over (partition by visitor_id, active_period, session_id_group) as carried_session_id
    from active_periods

),

flagged as (

    select
        *,
        case
            when is_after_timeout then 1
            when session_id <> lag(carried_session_id) over visitor_timeline then 1
            else 0
        end as is_session_start
    from carried
    window visitor_timeline as (partition by visitor_id order by event_timestamp, event_id)

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by visitor_id order by event_timestamp, event_id rows unbounded preceding
        ) as session_number
    from flagged

),

final as (

    select
        event_id,
        {{ dbt.hash(
            "visitor_id || '|' || first_value(event_id) over (
                partition by visitor_id, session_number order by event_timestamp, event_id
            )"
        ) }} as session_key,
        visitor_id,
        is_session_start = 1 as is_session_start,
        client_id,
        user_id,
        client_user_id,
        session_id,
        request_id,
        event_name,
        user_login_state,
        identity_source,
        is_first_visit,
        page_url,
        page_host,
        page_path,
        page_title,
        referrer,
        referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        product_id,
        product_name,
        product_category,
        product_brand,
        product_price,
        product_discount_price,
        order_id,
        order_revenue,
        order_currency,
        order_items,
        search_query,
        user_agent,
        device_type,
        browser,
        browser_version,
        os,
        os_version,
        country,
        event_timestamp,
        received_at,
        loaded_at,
        {{- event_passthrough_columns() }}
        staged_at
    from numbered

)

select * from final
