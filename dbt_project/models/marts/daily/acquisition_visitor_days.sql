{{ config(materialized='table') }}

{#- The dimensions Acquisition breaks users down by (dashboard/data/acquisition.py, ACQUISITION_DIMENSIONS). -#}
{% set dimensions = ['channel', 'referrer_host', 'campaign', 'device_type', 'country'] %}

-- One row per reporting day × dimension (channel, referrer host, campaign, device type, country) × value × the
-- previous day the same visitor came with that value (null: never before): how many visitors. The exact distinct
-- users of a value over [start, end] are then one sum, with no distinct count: a visitor of the range is counted
-- on its first day in the range, the one day whose previous day is null or before start
-- (sum(visitors) where session_date between start and end and (previous_session_date is null or
-- previous_session_date < start)). Acquisition's users of all traffic read this; with a device type or channel
-- chosen it counts distinct visitor_numbers of visitors_daily, since a previous day in another slice would not
-- be seen here. From visitors_daily, so bots are left out unless include_bots is true.
--
-- A table rebuilt whole at every build, not by day as the other daily marts: a day rebuilt changes the previous
-- day of the visitors' later rows, whatever day they are on (docs/benchmarks.md has its build time at 5M events).

with

visitor_days as (

    select
        session_date,
        visitor_number,
        channel,
        referrer_host,
        campaign,
        device_type,
        country
    from {{ ref('visitors_daily') }}

),

-- A visitor with several slices of one value on a day (two devices on one channel) is one row of that value.
visitor_values as (

    {% for dimension in dimensions %}
        select distinct
            session_date,
            visitor_number,
            '{{ dimension }}' as dimension,
            {{ dimension }} as value
        from visitor_days
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

with_previous_day as (

    select
        session_date,
        dimension,
        value,
        lag(session_date) over (
            partition by dimension, value, visitor_number
            order by session_date
        ) as previous_session_date
    from visitor_values

),

counted as (

    select
        session_date,
        dimension,
        value,
        previous_session_date,
        count(*) as visitors
    from with_previous_day
    group by session_date, dimension, value, previous_session_date

),

final as (

    select
        session_date::date as session_date,
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(value as {{ dbt.type_string() }}) as value,
        previous_session_date::date as previous_session_date,
        visitors::bigint as visitors
    from counted
    order by session_date

)

select * from final
