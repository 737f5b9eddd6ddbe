{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_touched_window('event_timestamp') }}",
        indexes=[
            {'columns': ['event_id'], 'unique': True},
            {'columns': ['visitor_id', 'event_timestamp']},
            {'columns': ['session_key']},
            {'columns': ['event_date']},
            {'columns': ['received_at']},
            {'columns': ['product_id', 'event_timestamp']},
        ],
    )
}}

{#- int_periods_touched reads this table's state before the build, so it must run first. -#}
{% do ref('int_periods_touched') %}

-- One row per event (deduplicated by eventId), with its session, its day in reporting_timezone, and the session's
-- channel and bot flag: the warehouse's curated event table, under the column names the data-warehouse schema
-- fixes (event_id … product_url_path) plus what the dashboard needs. Bots are kept and flagged (is_bot); the
-- daily marts leave them out unless include_bots is true.
--
-- Incremental like sessions: the window int_visitors_touched names is deleted (pre-hook) and appended again from
-- int_events_sessionized; a first build (or --full-refresh) takes every event. int_periods_touched reads this
-- table's state before the build (it runs first: the ref() above).

with

events as (

    select sessionized.*
    from {{ ref('int_events_sessionized') }} as sessionized
    {{ join_touched_window('sessionized', incremental_only=true) }}

),

sessions as (

    select
        session_key,
        channel,
        is_bot
    from {{ ref('sessions') }}

),

final as (

    select
        ---------- ids
        events.event_id::text as event_id,
        events.session_key::text as session_key,
        events.visitor_id::text as visitor_id,
        events.client_id::text as client_id,
        events.session_id::text as session_id,
        events.user_id::text as user_id,

        ---------- event
        events.event_name::text as event_name,
        events.event_timestamp::timestamptz as event_timestamp,
        {{ reporting_date('events.event_timestamp') }} as event_date,
        events.received_at::timestamptz as received_at,
        events.user_login_state::text as user_login_state,
        events.identity_source::text as identity_source,
        events.is_first_visit::boolean as is_first_visit,

        ---------- page
        events.page_url::text as page_url,
        events.page_path::text as page_path,
        events.page_title::text as page_title,
        events.referrer::text as referrer,

        ---------- product
        events.product_id::text as product_id,
        events.product_name::text as product_name,
        events.product_category::text as product_category,
        events.product_brand::text as product_brand,
        events.product_price::numeric as product_price,
        events.product_discount_price::numeric as product_discount_price,
        case when events.product_id is not null then events.page_path end::text as product_url_path,

        ---------- order and search
        events.order_id::text as order_id,
        events.order_revenue::numeric as order_revenue,
        events.order_currency::text as order_currency,
        events.search_query::text as search_query,

        ---------- device
        events.device_type::text as device_type,
        events.browser::text as browser,
        events.os::text as os,
        events.country::text as country,

        ---------- passthroughs (dbt_project.yml, event_passthroughs)
        {{- event_passthrough_columns('events', cast=true) }}

        ---------- session
        sessions.channel::text as channel,
        sessions.is_bot::boolean as is_bot
    from events
    left join sessions on events.session_key = sessions.session_key

)

select * from final
