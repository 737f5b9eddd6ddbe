{{ config(pre_hook="{{ delete_from_first_touched_day('session_date') }}") }}

{#- The dimensions Acquisition breaks users down by (dashboard/data/acquisition.py, ACQUISITION_DIMENSIONS). -#}
{% set dimensions = ['channel', 'referrer_host', 'campaign', 'device_type', 'country'] %}
{#- The first day this build recounts (incremental builds only). int_periods_touched is ref()'d on every build so
    dbt records the dependency (macros/work_lists.sql). -#}
{% set first_touched_day = 'select min(touched.event_date) from ' ~ ref('int_periods_touched') ~ ' as touched' %}

-- One row per reporting day × dimension (channel, referrer host, campaign, device type, country) × value × the
-- previous day the same visitor came with that value (null: never before): how many visitors. The exact distinct
-- users of a value over [start, end] are then one sum, with no distinct count: a visitor of the range is counted
-- on its first day in the range, the one day whose previous day is null or before start
-- (sum(visitors) where session_date between start and end and (previous_session_date is null or
-- previous_session_date < start)). Acquisition's users of all traffic read this; with a device type or channel
-- chosen it counts distinct visitor_numbers of visitors_daily, since a previous day in another slice would not
-- be seen here. From visitors_daily, so bots are left out unless include_bots is true.
--
-- Incremental from the first day int_periods_touched names: a day rebuilt changes the previous day of later rows
-- on any later day, so every row from that day on is deleted (the second pre-hook) and counted again from the
-- whole history of the visitors who came on those days; a row before it depends only on days before it.

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
    {% if is_incremental() %}
        -- The visitors who came from the first touched day on, with every earlier day of theirs.
        where
            visitor_number in (
                select recent.visitor_number
                from {{ ref('visitors_daily') }} as recent
                where recent.session_date >= ({{ first_touched_day }})
            )
    {% endif %}

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
    {% if is_incremental() %}
        where session_date >= ({{ first_touched_day }})
    {% endif %}
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
