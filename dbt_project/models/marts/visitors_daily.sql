{{
    config(
        indexes=[{'columns': ['session_date']}],
    )
}}

-- One row per reporting day × visitor × device type × channel × referrer host × UTM campaign × country: who
-- came, in which slice. Distinct users over any range and slice are exact counts of visitor_number here
-- (sessions_daily holds the additive measures, and cannot: a visitor back on another day is one user, not two).
-- visitor_number is a dense integer for the visitor, valid within one build of this table: distinct counts of
-- integers hash and sort several times faster than of the 36-character visitor ids (docs/benchmarks.md). Bots are
-- left out unless include_bots is true.
--
-- A plain table, rebuilt each build so that visitor_number stays dense and never has to be kept stable.

with

sessions as (

    select
        session_date,
        visitor_id,
        {{ dashboard_slice_columns() }},
        coalesce(is_first_visit, false) as is_first_visit
    from {{ ref('sessions') }}
    {% if not var('include_bots') %}
        where not is_bot
    {% endif %}

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
        (dense_rank() over (order by visitor_id))::integer as visitor_number,
        device_type::text as device_type,
        channel::text as channel,
        referrer_host::text as referrer_host,
        campaign::text as campaign,
        country::text as country,
        is_new::boolean as is_new
    from visitor_days
    order by session_date

)

select * from final
