-- One row per reporting day × device type × channel, each also as '(all)': the distinct visitors of the day in
-- that slice, for every filter Overview offers (all traffic, a device type, a channel, both). Overview's users by
-- day read one row a day here instead of counting distinct visitor_numbers of visitors_daily day by day
-- (docs/benchmarks.md, "At 5M events over 95 days"). Users over a whole range are not additive across days:
-- Overview still counts those over visitors_daily.
--
-- Incremental by day (macros/work_lists.sql): a build rebuilds whole the days int_periods_touched names, the only
-- days whose sessions it can have changed.

with

visitors as (

    select
        session_date,
        device_type,
        channel,
        visitor_number
    from {{ ref('visitors_daily') }}
    where {{ in_touched_days('session_date') }}

),

counted as (

    select
        session_date,
        device_type,
        channel,
        grouping(device_type) as all_devices,
        grouping(channel) as all_channels,
        count(distinct visitor_number) as users
    from visitors
    group by grouping sets (
        (session_date),
        (session_date, device_type),
        (session_date, channel),
        (session_date, device_type, channel)
    )

),

final as (

    select
        session_date::date as session_date,
        cast(case when all_devices = 1 then '(all)' else device_type end as {{ dbt.type_string() }}) as device_type,
        cast(case when all_channels = 1 then '(all)' else channel end as {{ dbt.type_string() }}) as channel,
        users::bigint as users
    from counted
    order by session_date

)

select * from final
