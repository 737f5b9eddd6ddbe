-- One row per reporting day (reporting_timezone, the session's start) × channel × referrer host × utm_source ×
-- utm_medium × utm_campaign, all taken from the session's landing event (channel: the first matching rule of the
-- channel_rules seed). A missing value is '(not set)': no referrer host means a direct visit or one from the shop
-- itself (internal_hosts). Bots are left out unless include_bots is true.
--
-- Incremental by day (macros/work_lists.sql): a build rebuilds whole the days int_periods_touched names, the only
-- days whose sessions it can have changed.

with

sessions as (

    select
        session_date,
        visitor_id,
        coalesce(channel, '(not set)') as channel,
        coalesce(referrer_host, '(not set)') as referrer_host,
        coalesce(utm_source, '(not set)') as utm_source,
        coalesce(utm_medium, '(not set)') as utm_medium,
        coalesce(utm_campaign, '(not set)') as utm_campaign,
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
        channel,
        referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        count(*) as sessions,
        count(distinct visitor_id) as users,
        count(*) filter (where orders > 0) as converted_sessions,
        sum(orders) as orders,
        sum(revenue) as revenue
    from sessions
    group by session_date, channel, referrer_host, utm_source, utm_medium, utm_campaign

),

final as (

    select
        session_date::date as session_date,
        channel::text as channel,
        referrer_host::text as referrer_host,
        utm_source::text as utm_source,
        utm_medium::text as utm_medium,
        utm_campaign::text as utm_campaign,
        sessions::bigint as sessions,
        users::bigint as users,
        converted_sessions::bigint as converted_sessions,
        orders::bigint as orders,
        revenue::numeric as revenue,
        round(converted_sessions::numeric / sessions, 4)::numeric(9, 4) as conversion_rate
    from aggregated

)

select * from final
