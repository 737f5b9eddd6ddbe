-- One row per cohort week × weeks since first seen: visitors grouped by the week (Monday-based, reporting_timezone)
-- of their first session, and how many of them had a session again 0, 1, 2 … weeks later (week 0 is the cohort
-- itself). Every cohort has a row for every week up to the last week with data, zeros included, so a heat map
-- needs no gaps filled. The entity is the visitor (visitor_id), as everywhere a mart says "users" or "visitors";
-- bots are left out unless include_bots is true.
--
-- A table, rebuilt whole at each build from visitor_activity_weekly (one narrow row per visitor and active week,
-- kept incrementally): a late event can move a visitor's first week, which changes every row of two cohorts, and
-- a new week adds a row to every cohort, so there is no smaller unit to rebuild; counting those rows is quick.

with

activity as (

    select
        activity_week,
        cohort_week,
        weeks_since_first_seen
    from {{ ref('visitor_activity_weekly') }}

),

cohort_sizes as (

    select
        cohort_week,
        count(*) as cohort_size
    from activity
    where weeks_since_first_seen = 0
    group by cohort_week

),

last_week as (

    select max(activity_week) as last_activity_week
    from activity

),

grid as (

    select
        cohort_sizes.cohort_week,
        cohort_sizes.cohort_size,
        weeks.weeks_since_first_seen
    from cohort_sizes
    cross join last_week
    {{ join_integer_series(
        weeks_between('cohort_sizes.cohort_week', 'last_week.last_activity_week'), 'weeks', 'weeks_since_first_seen'
    ) }}

),

retained as (

    select
        cohort_week,
        weeks_since_first_seen,
        count(*) as retained_visitors
    from activity
    group by cohort_week, weeks_since_first_seen

),

final as (

    select
        grid.cohort_week::date as cohort_week,
        grid.weeks_since_first_seen::integer as weeks_since_first_seen,
        cast({{ dbt.dateadd('day', '7 * grid.weeks_since_first_seen', 'grid.cohort_week') }} as date) as activity_week,
        grid.cohort_size::bigint as cohort_size,
        coalesce(retained.retained_visitors, 0)::bigint as retained_visitors,
        round(coalesce(retained.retained_visitors, 0)::numeric / grid.cohort_size, 4)::numeric(9, 4) as retention_rate
    from grid
    left join retained
        on
            grid.cohort_week = retained.cohort_week
            and grid.weeks_since_first_seen = retained.weeks_since_first_seen

)

select * from final
