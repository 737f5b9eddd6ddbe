-- One row per reporting day × device type × channel × landing page × exit page, with the sessions and bounces of
-- that pair: Journeys' top landing and exit pages sum these instead of scanning marts.sessions, whose rows are four
-- times wider (docs/benchmarks.md, "At 5M events over 95 days"). Device type and channel are the values of
-- dashboard_slice_columns(), so a filter means the same here as on Overview. Bots are left out unless include_bots
-- is true.
--
-- Incremental by day (macros/work_lists.sql): a build rebuilds whole the days int_periods_touched names, the only
-- days whose sessions it can have changed.

with

sessions as (

    select
        session_date,
        -- As dashboard_slice_columns() (macros/dashboard_slices.sql), whose other slices Journeys does not filter by.
        coalesce(device_type, '(not set)') as device_type,
        coalesce(channel, '(not set)') as channel,
        coalesce(landing_page_path, '(not set)') as landing_page_path,
        coalesce(exit_page_path, '(not set)') as exit_page_path,
        is_bounce
    from {{ ref('sessions') }}
    where
        {{ in_touched_days('session_date') }}
        and {{ not_bot() }}

),

final as (

    select
        session_date::date as session_date,
        cast(device_type as {{ dbt.type_string() }}) as device_type,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(landing_page_path as {{ dbt.type_string() }}) as landing_page_path,
        cast(exit_page_path as {{ dbt.type_string() }}) as exit_page_path,
        count(*)::bigint as sessions,
        ({{ count_if('is_bounce') }})::bigint as bounces
    from sessions
    group by session_date, device_type, channel, landing_page_path, exit_page_path
    order by session_date

)

select * from final
