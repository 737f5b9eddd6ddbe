{{ config(indexes=[{'columns': ['session_date'], 'unique': True}]) }}

-- One row per reporting day (reporting_timezone; a session counts on the day it started, once, even when it runs
-- past midnight): sessions, users (distinct visitors), new vs returning (is_first_visit), page views, bounces,
-- engagement, duration, conversion and revenue. Bots are left out unless include_bots is true.
--
-- Incremental by day (macros/work_lists.sql): a build rebuilds whole the days int_periods_touched names, the only
-- days whose sessions it can have changed.

with

sessions as (

    select
        session_key,
        session_date,
        visitor_id,
        is_first_visit,
        page_views,
        is_bounce,
        is_engaged,
        duration_seconds,
        orders,
        revenue
    from {{ ref('sessions') }}
    where
        {{ in_touched_days('session_date') }}
        and {{ not_bot() }}

),

aggregated as (

    select
        session_date,
        count(*) as sessions,
        count(distinct visitor_id) as users,
        count(distinct visitor_id) filter (where is_first_visit) as new_users,
        count(*) filter (where is_first_visit) as new_sessions,
        count(*) filter (where not is_first_visit) as returning_sessions,
        sum(page_views) as page_views,
        count(*) filter (where is_bounce) as bounces,
        count(*) filter (where is_engaged) as engaged_sessions,
        avg(duration_seconds) as average_session_duration_seconds,
        count(*) filter (where orders > 0) as converted_sessions,
        sum(orders) as orders,
        sum(revenue) as revenue
    from sessions
    group by session_date

),

final as (

    select
        session_date::date as session_date,
        sessions::bigint as sessions,
        users::bigint as users,
        new_users::bigint as new_users,
        (users - new_users)::bigint as returning_users,
        new_sessions::bigint as new_sessions,
        returning_sessions::bigint as returning_sessions,
        page_views::bigint as page_views,
        bounces::bigint as bounces,
        round(bounces::numeric / sessions, 4)::numeric(9, 4) as bounce_rate,
        engaged_sessions::bigint as engaged_sessions,
        round(average_session_duration_seconds, 1)::numeric(12, 1) as average_session_duration_seconds,
        converted_sessions::bigint as converted_sessions,
        round(converted_sessions::numeric / sessions, 4)::numeric(9, 4) as conversion_rate,
        orders::bigint as orders,
        revenue::numeric as revenue
    from aggregated

)

select * from final
