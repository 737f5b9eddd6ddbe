{% set steps = var('funnel_steps') %}

-- One row per reporting day (reporting_timezone, the session's start) × device type × channel × funnel step: the
-- sessions that reached the step (sessions.funnel_step_reached >= step_number: the steps of funnel_steps in order,
-- each at or after the one before). Every slice has a row for every step, zeros included, so any slice sums up and
-- the counts never increase along the steps. Bots are left out unless include_bots is true.
--
-- Incremental by day (macros/work_lists.sql): a build rebuilds whole the days int_periods_touched names, the only
-- days whose sessions it can have changed.

with

sessions as (

    select
        session_date,
        coalesce(device_type, '(not set)') as device_type,
        coalesce(channel, '(not set)') as channel,
        funnel_step_reached
    from {{ ref('sessions') }}
    where
        {{ in_touched_days('session_date') }}
        and {{ not_bot() }}

),

steps as (

    select
        step_number,
        step_name
    from (
        values
        {% for step in steps %}
            ({{ loop.index }}, '{{ step }}'){{ ',' if not loop.last }}
        {% endfor %}
    ) as funnel (step_number, step_name)

),

counted as (

    select
        sessions.session_date,
        sessions.device_type,
        sessions.channel,
        steps.step_number,
        steps.step_name,
        {{ count_if('sessions.funnel_step_reached >= steps.step_number') }} as sessions,
        count(*) as slice_sessions
    from sessions
    cross join steps
    group by sessions.session_date, sessions.device_type, sessions.channel, steps.step_number, steps.step_name

),

final as (

    select
        session_date::date as session_date,
        cast(device_type as {{ dbt.type_string() }}) as device_type,
        cast(channel as {{ dbt.type_string() }}) as channel,
        step_number::integer as step_number,
        cast(step_name as {{ dbt.type_string() }}) as step_name,
        sessions::bigint as sessions,
        slice_sessions::bigint as slice_sessions
    from counted

)

select * from final
