{% set steps = var('funnel_steps') %}

-- In funnel_steps_daily, every (day, device type, channel) slice has each step of funnel_steps once, numbered 1…n,
-- and the sessions reaching a step are never more than those reaching the step before it.

with

funnel as (

    select
        session_date,
        device_type,
        channel,
        step_number,
        sessions,
        lag(sessions) over slice_steps as previous_step_sessions,
        count(*) over slice as steps_in_slice
    from {{ ref('funnel_steps_daily') }}
    window
        slice as (partition by session_date, device_type, channel),
        slice_steps as (partition by session_date, device_type, channel order by step_number)

)

select
    session_date,
    device_type,
    channel,
    step_number,
    sessions,
    previous_step_sessions,
    steps_in_slice
from funnel
where
    sessions > previous_step_sessions
    or steps_in_slice <> {{ steps | length }}
    or step_number not between 1 and {{ steps | length }}
