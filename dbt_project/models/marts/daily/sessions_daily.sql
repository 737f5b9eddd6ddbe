-- One row per reporting day × hour of the day (both reporting_timezone, the session's start) × device type ×
-- channel × referrer host × UTM campaign × country, with the sessions' additive measures: the dashboard's
-- Overview and Acquisition sum these instead of scanning marts.sessions (docs/dashboard.md). Distinct users are
-- not additive across days or slices: they come from visitors_daily. Bots are left out unless include_bots is true.
--
-- Incremental by day (macros/work_lists.sql): a build rebuilds whole the days int_periods_touched names, the only
-- days whose sessions it can have changed.

with

sessions as (

    select
        session_date,
        extract(hour from {{ wall_time('session_start', var('reporting_timezone')) }}) as session_hour,
        {{ dashboard_slice_columns() }},
        page_views,
        is_bounce,
        duration_seconds,
        orders,
        revenue
    from {{ ref('sessions') }}
    where
        {{ in_touched_days('session_date') }}
        and {{ not_bot() }}

),

final as (

    select
        session_date::date as session_date,
        session_hour::integer as session_hour,
        cast(device_type as {{ dbt.type_string() }}) as device_type,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(referrer_host as {{ dbt.type_string() }}) as referrer_host,
        cast(campaign as {{ dbt.type_string() }}) as campaign,
        cast(country as {{ dbt.type_string() }}) as country,
        count(*)::bigint as sessions,
        coalesce(sum(page_views), 0)::bigint as page_views,
        ({{ count_if('is_bounce') }})::bigint as bounces,
        coalesce(sum(duration_seconds), 0)::bigint as duration_seconds,
        ({{ count_if('orders > 0') }})::bigint as converted_sessions,
        coalesce(sum(orders), 0)::bigint as orders,
        coalesce(sum(revenue), 0)::numeric as revenue
    from sessions
    group by session_date, session_hour, device_type, channel, referrer_host, campaign, country
    order by session_date

)

select * from final
