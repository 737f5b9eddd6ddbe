{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_listed('visitor_id', 'int_visitors_touched', 'visitor_id') }}",
        indexes=[
            {'columns': ['visitor_id', 'activity_week'], 'unique': True},
        ],
    )
}}

-- One row per visitor × week (Monday-based, reporting_timezone) with a session: how many sessions the visitor had
-- that week, and the visitor's cohort (the week of its first session). Weekly active visitors and retention
-- cohorts (retention_weekly) are counts of these rows. The entity is the visitor (visitor_id), as everywhere a
-- mart says "visitors"; bots are left out unless include_bots is true.
--
-- Incremental by visitor: a build deletes the rows of the visitors int_visitors_touched names (only their sessions
-- can have moved, merged, split or become bots) and appends them worked out again from all their sessions.

with

sessions as (

    select
        visitor_id,
        session_date
    from {{ ref('sessions') }}
    where
        {{ in_listed('visitor_id', 'int_visitors_touched', 'visitor_id') }}
        and {{ not_bot() }}

),

weeks as (

    select
        visitor_id,
        {{ week_start('session_date') }} as activity_week,
        count(*) as sessions
    from sessions
    group by visitor_id, {{ week_start('session_date') }}

),

final as (

    select
        cast(visitor_id as {{ dbt.type_string() }}) as visitor_id,
        activity_week::date as activity_week,
        (min(activity_week) over (partition by visitor_id))::date as cohort_week,
        ({{ weeks_between('min(activity_week) over (partition by visitor_id)', 'activity_week') }})::integer
            as weeks_since_first_seen,
        sessions::bigint as sessions
    from weeks

)

select * from final
