-- Every staged event is in clickstream_events once (event_id is unique there) and in exactly one session: per
-- session_key, the events clickstream_events holds equal sessions.events, and no session or event is left over.
-- Returns one row per problem. Like the generic tests of these tables, it checks the visitors this build touched
-- (every visitor on a first build or a full refresh; see macros/touched_visitors.sql): the others did not change.

-- depends_on: {{ ref('int_visitors_touched') }}

with

staged as (

    select event_id
    from {{ ref('stg_clickstream__events') }}
    where visitor_id in {{ touched_visitors() }}

),

published as (

    select
        event_id,
        session_key
    from {{ ref('clickstream_events') }}
    where visitor_id in {{ touched_visitors() }}

),

events_per_session as (

    select
        session_key,
        count(*) as events
    from published
    group by session_key

),

sessions as (

    select
        session_key,
        events
    from {{ ref('sessions') }}
    where visitor_id in {{ touched_visitors() }}

),

session_mismatches as (

    select
        'session ' || coalesce(events_per_session.session_key, sessions.session_key) as problem,
        events_per_session.events as events_in_clickstream_events,
        sessions.events as events_in_sessions
    from events_per_session
    full outer join sessions on events_per_session.session_key = sessions.session_key
    where events_per_session.events is distinct from sessions.events

),

missing_events as (

    select
        'staged event not in clickstream_events: ' || staged.event_id as problem,
        null::bigint as events_in_clickstream_events,
        null::bigint as events_in_sessions
    from staged
    left join published on staged.event_id = published.event_id
    where published.event_id is null

),

extra_events as (

    select
        'clickstream_events row not staged: ' || published.event_id as problem,
        null::bigint as events_in_clickstream_events,
        null::bigint as events_in_sessions
    from published
    left join staged on published.event_id = staged.event_id
    where staged.event_id is null

)

select * from session_mismatches
union all
select * from missing_events
union all
select * from extra_events
