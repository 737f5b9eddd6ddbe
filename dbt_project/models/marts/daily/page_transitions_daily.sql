{{ config(indexes=[{'columns': ['session_date', 'from_page_path', 'to_page_path'], 'unique': True}]) }}

-- One row per reporting day (reporting_timezone, the session's start) × from page path × to page path: how often
-- a session's page views went from one page to the next, for a Sankey diagram. Page views are page_view and
-- view_product events (as in sessions), in event-time order; consecutive views of the same path are one visit of
-- the page (a reload, or a product page's page_view and view_product), so no page leads to itself. Each session
-- with a page view adds an entrance ('(entrance)' → its first page) and an exit (its last page → '(exit)'), so
-- entrances = exits = sessions with a page view. Bots are left out unless include_bots is true.
--
-- Incremental by day: it orders every page view of the day's sessions, too much to redo for every day at every
-- build. The pre-hook deletes the days int_periods_touched names (the days of the events this build
-- re-sessionized, before and after: they cover the days those sessions started) and they are appended again.
-- JIT is off for the model (compiling the plan costs more than running it).

with

sessions as (

    select
        session_key,
        session_date
    from {{ ref('sessions') }}
    where
        {{ in_touched_days('session_date') }}
        and {{ not_bot() }}

),

page_views as (

    select
        events.session_key,
        sessions.session_date,
        events.event_timestamp,
        events.event_id,
        coalesce(events.page_path, '(not set)') as page_path
    from {{ ref('clickstream_events') }} as events
    inner join sessions on events.session_key = sessions.session_key
    where events.event_name in ('page_view', 'view_product')

),

page_changes as (

    select
        *,
        lag(page_path) over session_timeline as previous_page_path
    from page_views
    window session_timeline as (partition by session_key order by event_timestamp, event_id)

),

page_visits as (

    select
        session_key,
        session_date,
        page_path,
        lag(page_path) over session_timeline as from_page_path,
        lead(page_path) over session_timeline as next_page_path
    from page_changes
    where previous_page_path is distinct from page_path
    window session_timeline as (partition by session_key order by event_timestamp, event_id)

),

transitions as (

    select
        session_key,
        session_date,
        coalesce(from_page_path, '(entrance)') as from_page_path,
        page_path as to_page_path
    from page_visits
    union all
    select
        session_key,
        session_date,
        page_path as from_page_path,
        '(exit)' as to_page_path
    from page_visits
    where next_page_path is null

),

final as (

    select
        session_date::date as session_date,
        cast(from_page_path as {{ dbt.type_string() }}) as from_page_path,
        cast(to_page_path as {{ dbt.type_string() }}) as to_page_path,
        count(*)::bigint as transitions,
        count(distinct session_key)::bigint as sessions
    from transitions
    group by session_date, from_page_path, to_page_path

)

select * from final
