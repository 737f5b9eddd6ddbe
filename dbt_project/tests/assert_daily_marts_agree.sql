-- The daily marts count the same sessions: per day, traffic_daily.sessions equals the sessions of
-- acquisition_daily, the slice sessions of funnel_steps_daily (each slice once) and, in page_transitions_daily,
-- the entrances and the exits (sessions with a page view, from sessions).

with

traffic as (

    select
        session_date,
        sessions
    from {{ ref('traffic_daily') }}

),

acquisition as (

    select
        session_date,
        sum(sessions) as sessions
    from {{ ref('acquisition_daily') }}
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
        sum(transitions) filter (where from_page_path = '(entrance)') as entrances,
        sum(transitions) filter (where to_page_path = '(exit)') as exits
    from {{ ref('page_transitions_daily') }}
    group by session_date

)

select
    coalesce(
        traffic.session_date,
        acquisition.session_date,
        funnel.session_date,
        viewing_sessions.session_date,
        transitions.session_date
    ) as session_date,
    traffic.sessions as traffic_sessions,
    acquisition.sessions as acquisition_sessions,
    funnel.sessions as funnel_sessions,
    viewing_sessions.sessions as sessions_with_a_page_view,
    transitions.entrances,
    transitions.exits
from traffic
full outer join acquisition on traffic.session_date = acquisition.session_date
full outer join funnel on coalesce(traffic.session_date, acquisition.session_date) = funnel.session_date
full outer join viewing_sessions
    on coalesce(traffic.session_date, acquisition.session_date, funnel.session_date) = viewing_sessions.session_date
full outer join transitions on viewing_sessions.session_date = transitions.session_date
where
    traffic.sessions is distinct from acquisition.sessions
    or traffic.sessions is distinct from funnel.sessions
    or viewing_sessions.sessions is distinct from transitions.entrances
    or viewing_sessions.sessions is distinct from transitions.exits
