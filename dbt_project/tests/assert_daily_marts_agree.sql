-- The daily marts count the same sessions: per day, the sessions of sessions_daily equal the slice sessions of
-- funnel_steps_daily (each slice once), the visitor-days of visitors_daily are no more than them, and, in
-- page_transitions_daily, the entrances and the exits equal the sessions with a page view (from sessions).

with

daily_sessions as (

    select
        session_date,
        sum(sessions) as sessions
    from {{ ref('sessions_daily') }}
    group by session_date

),

visitor_days as (

    select
        session_date,
        count(*) as visitor_days
    from {{ ref('visitors_daily') }}
    group by session_date

),

funnel as (

    select
        session_date,
        sum(slice_sessions) as sessions
    from {{ ref('funnel_steps_daily') }}
    where step_number = 1
    group by session_date

),

viewing_sessions as (

    select
        session_date,
        count(*) as sessions
    from {{ ref('sessions') }}
    where
        page_views > 0
        {% if not var('include_bots') %}
            and not is_bot
        {% endif %}
    group by session_date

),

transitions as (

    select
        session_date,
        {{ sum_if('transitions', "from_page_path = '(entrance)'") }} as entrances,
        {{ sum_if('transitions', "to_page_path = '(exit)'") }} as exits
    from {{ ref('page_transitions_daily') }}
    group by session_date

)

select
    coalesce(
        daily_sessions.session_date,
        funnel.session_date,
        visitor_days.session_date,
        viewing_sessions.session_date,
        transitions.session_date
    ) as session_date,
    daily_sessions.sessions as sessions_daily_sessions,
    funnel.sessions as funnel_sessions,
    visitor_days.visitor_days,
    viewing_sessions.sessions as sessions_with_a_page_view,
    transitions.entrances,
    transitions.exits
from daily_sessions
full outer join funnel on daily_sessions.session_date = funnel.session_date
full outer join visitor_days on coalesce(daily_sessions.session_date, funnel.session_date) = visitor_days.session_date
full outer join viewing_sessions
    on coalesce(daily_sessions.session_date, funnel.session_date) = viewing_sessions.session_date
full outer join transitions on viewing_sessions.session_date = transitions.session_date
where
    daily_sessions.sessions is distinct from funnel.sessions
    or visitor_days.visitor_days is null and daily_sessions.sessions is not null
    or visitor_days.visitor_days > daily_sessions.sessions
    or viewing_sessions.sessions is distinct from transitions.entrances
    or viewing_sessions.sessions is distinct from transitions.exits
