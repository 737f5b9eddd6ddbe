{{ config(post_hook="{{ analyze_table(this) }}") }}

{% set published = published_relation('marts', 'clickstream_events') %}
{% set rebuild = flags.FULL_REFRESH or published is none %}
{% set unfinished = unfinished_work_list('int_periods_touched') %}

-- The reporting days (reporting_timezone) and received hours (UTC) whose figures this build can change: those of
-- every event in a window int_visitors_touched names, both as the events were before this build (the published
-- clickstream_events, read directly because that mart depends on this model: this is its state before the build)
-- and as they are now (int_events_sessionized). A session lies wholly inside or wholly outside a window, so the days
-- of a window's events cover the days of its sessions, old and new; an event re-staged with an earlier copy counts
-- at its old place and its new one. Orders add the days of every session int_orders_touched names: an order
-- moved by a late, earlier copy changes the figures of both sessions' days (a session's day is that of its first
-- event, which for a session across midnight is not its purchase's).
--
-- The day-level incremental marts delete these days (pre-hook) and append them worked out again; the hourly one
-- does the same with the hours. Both sets are small: a build touches the last hours, plus the day of a late event.
-- The table is analysed as soon as it is built (post-hook), so the marts that filter by it are planned knowing that.
-- The periods of a build that did not complete are listed again (macros/work_lists.sql): that build may have
-- rebuilt clickstream_events already, so its days before it ran are no longer in the published table.

with

current_events as (

    select
        sessionized.event_timestamp,
        sessionized.received_at
    from {{ ref('int_events_sessionized') }} as sessionized
    {{ join_touched_window('sessionized') }}

),

previous_events as (

    {% if rebuild %}
        -- A first build or a full refresh: nothing was published before.
        select
            {{ cast_to_timestamptz('null') }} as event_timestamp,
            {{ cast_to_timestamptz('null') }} as received_at
        where false
    {% else %}
        select
            published.event_timestamp,
            published.received_at
        from {{ published }} as published
        {{ join_touched_window('published') }}
    {% endif %}

),

order_events as (

    select
        sessionized.event_timestamp,
        sessionized.received_at
    from {{ ref('int_events_sessionized') }} as sessionized
    where sessionized.session_key in (select orders.session_key from {{ ref('int_orders_touched') }} as orders)

),

touched_events as (

    select
        event_timestamp,
        received_at
    from current_events
    union all
    select
        event_timestamp,
        received_at
    from previous_events
    union all
    select
        event_timestamp,
        received_at
    from order_events

),

periods as (

    select distinct
        {{ reporting_date('event_timestamp') }} as event_date,
        {{ utc_hour('received_at') }} as received_hour
    from touched_events

),

listed as (

    select
        event_date,
        received_hour
    from periods
    {% if unfinished is not none %}
        union
        select
            unfinished.event_date,
            unfinished.received_hour
        from {{ unfinished }} as unfinished
    {% endif %}

),

final as (

    select
        event_date,
        received_hour,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as build_id
    from listed

)

select * from final
