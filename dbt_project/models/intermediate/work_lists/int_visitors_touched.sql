{{ config(indexes=[{'columns': ['visitor_id'], 'unique': True}], post_hook="{{ analyze_table(this) }}") }}

{#- Analysed as soon as it is built: every windowed model joins it to a table of millions of events, and the
    planner must know it holds a few hundred visitors, not guess. -#}

{% set sessionized = published_relation('intermediate', 'int_events_sessionized') %}
{% set rebuild = flags.FULL_REFRESH or sessionized is none %}
{#- The windows of a build killed or failed before every model applied them (macros/work_lists.sql). -#}
{% set unfinished = none if rebuild else unfinished_work_list('int_visitors_touched') %}
{#- The watermark also as a constant: as a subquery the planner cannot know it is the newest staged_at and guesses a
    third of the staged rows are new, so it reads every sessionized event to find the previous copies of a few
    thousand. -#}
{% set staged_after = '-infinity' %}
{% if not rebuild and execute %}
    {% set watermark_query %}
        select {{ timestamptz_as_text('coalesce(max(staged_at), ' ~ earliest_timestamp() ~ ')') }} from {{ sessionized }}
    {% endset %}
    {% set staged_after = run_query(watermark_query).columns[0].values()[0] %}
{% endif %}

-- The visitors whose events arrived since the last build, and for each the moment from which its sessions must be
-- worked out again: the start of the earliest existing session that a new event could touch (one that ends less
-- than a session timeout before the first new event), or the first new event itself. Sessions before that moment
-- keep their boundaries whatever arrived, so only this window is re-sessionized (and a late event that bridges
-- two sessions merges them). A full refresh takes every visitor from the beginning.
--
-- The previous sessions are read from int_events_sessionized's table directly, not through ref(), because that
-- model depends on this one: this is its state before this build. When the build before did not complete, its
-- windows are listed again (build_id names the build that wrote the list: macros/work_lists.sql): its new events
-- are no longer new by the watermark once int_events_sessionized has committed them, but the models after it may
-- not have applied them. The earlier of a visitor's two window starts wins: both are session boundaries of every
-- table the windows are applied to, so the earlier one is too.

with

staged_events as (

    select
        event_id,
        visitor_id,
        event_timestamp,
        staged_at
    from {{ ref('stg_clickstream__events') }}

),

{% if rebuild %}

    final as (

        select
            visitor_id,
            {{ earliest_timestamp() }} as window_start
        from staged_events
        group by visitor_id

    )

{% else %}

    processed as (

        select coalesce(max(staged_at), {{ earliest_timestamp() }}) as staged_at_watermark
        from {{ sessionized }}

    ),

    new_events as (

        select
            staged_events.event_id,
            staged_events.visitor_id,
            staged_events.event_timestamp
        from staged_events
        cross join processed
        where
            staged_events.staged_at > processed.staged_at_watermark
            and staged_events.staged_at > {{ cast_to_timestamptz("'" ~ staged_after ~ "'") }}

    ),

    -- An event re-staged with another copy (received earlier) may have moved in time: its old place counts too.
    previous_copies as (

        select
            sessionized.visitor_id,
            sessionized.event_timestamp
        from {{ sessionized }} as sessionized
        inner join new_events on sessionized.event_id = new_events.event_id

    ),

    touched as (

        select
            visitor_id,
            min(event_timestamp) as first_new_event_at
        from (
            select
                new_events.visitor_id,
                new_events.event_timestamp
            from new_events
            union all
            select
                previous_copies.visitor_id,
                previous_copies.event_timestamp
            from previous_copies
        ) as changes
        group by visitor_id

    ),

    existing_sessions as (

        select
            sessionized.visitor_id,
            sessionized.session_key,
            min(sessionized.event_timestamp) as session_start,
            max(sessionized.event_timestamp) as session_end
        from {{ sessionized }} as sessionized
        where sessionized.visitor_id in (select touched.visitor_id from touched)
        group by sessionized.visitor_id, sessionized.session_key

    ),

    windows as (

        select
            touched.visitor_id,
            least(touched.first_new_event_at, min(existing_sessions.session_start)) as window_start
        from touched
        left join existing_sessions
            on
                touched.visitor_id = existing_sessions.visitor_id
                and existing_sessions.session_end
                >= {{ dbt.dateadd('minute', -var('session_timeout_minutes'), 'touched.first_new_event_at') }}
        group by touched.visitor_id, touched.first_new_event_at

    ),

    listed as (

        select
            windows.visitor_id,
            windows.window_start
        from windows
        {% if unfinished is not none %}
            union all
            select
                unfinished.visitor_id,
                unfinished.window_start
            from {{ unfinished }} as unfinished
        {% endif %}

    ),

    final as (

        select
            visitor_id,
            min(window_start) as window_start
        from listed
        group by visitor_id

    )

{% endif %}

select
    visitor_id,
    window_start,
    cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as build_id
from final
