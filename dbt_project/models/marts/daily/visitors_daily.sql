-- One row per reporting day × visitor × device type × channel × referrer host × UTM campaign × country: who
-- came, in which slice. Distinct users over any range and slice are exact counts of visitor_number here
-- (sessions_daily holds the additive measures, and cannot: a visitor back on another day is one user, not two).
-- visitor_number is the visitor id's 64-bit hash (hash_bigint): distinct counts of integers hash and sort
-- several times faster than of the 36-character visitor ids (docs/benchmarks.md), and a hash, unlike a rank over
-- all visitors, stays the same at every build, so the table can be rebuilt by day. Two visitors share one with a
-- probability of about n² / 2⁶⁵ (10⁻⁶ at six million visitors). Bots are left out unless include_bots is true.
--
-- Incremental by day (macros/work_lists.sql): a build rebuilds whole the days int_periods_touched names, the only
-- days whose sessions it can have changed.

with

sessions as (

    select
        session_date,
        visitor_id,
        {{ dashboard_slice_columns() }},
        coalesce(is_first_visit, false) as is_first_visit
    from {{ ref('sessions') }}
    where
        {{ in_touched_days('session_date') }}
        and {{ not_bot() }}

),

visitor_days as (

    select
        session_date,
        visitor_id,
        device_type,
        channel,
        referrer_host,
        campaign,
        country,
        bool_or(is_first_visit) as is_new
    from sessions
    group by session_date, visitor_id, device_type, channel, referrer_host, campaign, country

),

final as (

    select
        session_date::date as session_date,
        {{ hash_bigint('visitor_id') }}::bigint as visitor_number,
        cast(device_type as {{ dbt.type_string() }}) as device_type,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(referrer_host as {{ dbt.type_string() }}) as referrer_host,
        cast(campaign as {{ dbt.type_string() }}) as campaign,
        cast(country as {{ dbt.type_string() }}) as country,
        is_new::boolean as is_new
    from visitor_days
    order by session_date

)

select * from final
