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
        cast(events.event_id as {{ dbt.type_string() }}) as event_id,
        cast(events.session_key as {{ dbt.type_string() }}) as session_key,
        cast(events.visitor_id as {{ dbt.type_string() }}) as visitor_id,
        cast(events.client_id as {{ dbt.type_string() }}) as client_id,
        cast(events.session_id as {{ dbt.type_string() }}) as session_id,
        cast(events.user_id as {{ dbt.type_string() }}) as user_id,

        ---------- event
        cast(events.event_name as {{ dbt.type_string() }}) as event_name,
        cast(events.event_timestamp as {{ type_timestamptz() }}) as event_timestamp,
        {{ reporting_date('events.event_timestamp') }} as event_date,
        cast(events.received_at as {{ type_timestamptz() }}) as received_at,
        cast(events.user_login_state as {{ dbt.type_string() }}) as user_login_state,
        cast(events.identity_source as {{ dbt.type_string() }}) as identity_source,
        events.is_first_visit::boolean as is_first_visit,

        ---------- page
        cast(events.page_url as {{ dbt.type_string() }}) as page_url,
        cast(events.page_path as {{ dbt.type_string() }}) as page_path,
        cast(events.page_title as {{ dbt.type_string() }}) as page_title,
        cast(events.referrer as {{ dbt.type_string() }}) as referrer,

        ---------- product
        cast(events.product_id as {{ dbt.type_string() }}) as product_id,
        cast(events.product_name as {{ dbt.type_string() }}) as product_name,
        cast(events.product_category as {{ dbt.type_string() }}) as product_category,
        cast(events.product_brand as {{ dbt.type_string() }}) as product_brand,
        events.product_price::numeric as product_price,
        events.product_discount_price::numeric as product_discount_price,
        cast(
            case when events.product_id is not null then events.page_path end as {{ dbt.type_string() }}
        ) as product_url_path,

        ---------- order and search
        cast(events.order_id as {{ dbt.type_string() }}) as order_id,
        events.order_revenue::numeric as order_revenue,
        cast(events.order_currency as {{ dbt.type_string() }}) as order_currency,
        cast(events.search_query as {{ dbt.type_string() }}) as search_query,

        ---------- device
        cast(events.device_type as {{ dbt.type_string() }}) as device_type,
        cast(events.browser as {{ dbt.type_string() }}) as browser,
        cast(events.os as {{ dbt.type_string() }}) as os,
        cast(events.country as {{ dbt.type_string() }}) as country,

        ---------- passthroughs (dbt_project.yml, event_passthroughs)
        {{- event_passthrough_columns('events', cast=true) }}

        ---------- session
        cast(sessions.channel as {{ dbt.type_string() }}) as channel,
        sessions.is_bot::boolean as is_bot
    from events
    left join sessions on events.session_key = sessions.session_key

)

select * from final
