{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_listed('user_key', 'int_users_touched', 'user_key') }}",
        indexes=[
            {'columns': ['user_key'], 'unique': True},
        ],
    )
}}

-- One row per person: a stitched user (every visitor int_visitors_stitched maps to the same userId, so a user seen
-- on a phone and a laptop is one row), or a visitor never identified (kept, as an anonymous row: most shoppers never
-- log in, and leaving them out would leave out most of the shop's customers). user_key tells them apart:
-- 'user:<userId>' or 'visitor:<visitor_id>'. First and last seen, sessions, orders, revenue and the channel,
-- landing page and device of the first session. Bots are left out unless include_bots is true.
--
-- Incremental by person: a build deletes the user_keys int_users_touched names (every key a touched visitor had
-- before this build or has now, and those of visitors holding an order that moved) and appends them worked out
-- again from all their sessions; no other person's sessions changed.

{#- The sessions' columns this model reads, once for the two selects below. -#}
{% set session_columns = [
    'session_key', 'visitor_id', 'stitched_user_id', 'session_start', 'session_end', 'channel',
    'landing_page_path', 'device_type', 'orders', 'revenue',
] %}

with

-- A 'user:' row gathers every visitor stitched to its userId; a 'visitor:' row is one anonymous visitor. Two
-- selects, not one with `stitched_user_id in (...) or visitor_id in (...)`: PostgreSQL cannot turn an OR of IN
-- lists into semi-joins, and once a build's list outgrows the hash it may keep in work_mem it compares each session
-- with every listed person (more than 19 minutes at 138,000 people and 534,000 sessions in the capacity benchmark,
-- docs/benchmarks.md); each select alone is a hash semi-join, which spills to disk instead. Both read the table
-- itself: a CTE read twice would be materialized whole first.
sessions as (

    select {{ session_columns | join(', ') }}
    from {{ ref('sessions') }}
    where
        stitched_user_id is not null
        and {{ in_listed('stitched_user_id', 'int_users_touched', 'stitched_user_id') }}
        and {{ not_bot() }}

    union all

    select {{ session_columns | join(', ') }}
    from {{ ref('sessions') }}
    where
        stitched_user_id is null
        and {{ in_listed('visitor_id', 'int_users_touched', 'visitor_id') }}
        and {{ not_bot() }}

),

keyed as (

    select
        *,
        case
            when stitched_user_id is not null then 'user:' || stitched_user_id
            else 'visitor:' || visitor_id
        end as user_key
    from sessions

),

aggregated as (

    select
        user_key,
        min(stitched_user_id) as user_id,
        count(distinct visitor_id) as visitors,
        min(session_start) as first_seen_at,
        max(session_end) as last_seen_at,
        count(*) as sessions,
        sum(orders) as orders,
        sum(revenue) as revenue,
        {{ first_by('channel', ['session_start', 'session_key']) }} as first_channel,
        {{ first_by('landing_page_path', ['session_start', 'session_key']) }} as first_landing_page_path,
        {{ first_by('device_type', ['session_start', 'session_key']) }} as first_device_type
    from keyed
    group by user_key

),

final as (

    select
        cast(user_key as {{ dbt.type_string() }}) as user_key,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        (user_id is not null)::boolean as is_identified,
        visitors::bigint as visitors,
        cast(first_seen_at as {{ type_timestamptz() }}) as first_seen_at,
        cast(last_seen_at as {{ type_timestamptz() }}) as last_seen_at,
        {{ reporting_date('first_seen_at') }} as first_seen_date,
        {{ reporting_date('last_seen_at') }} as last_seen_date,
        sessions::bigint as sessions,
        orders::bigint as orders,
        revenue::numeric as revenue,
        cast(first_channel as {{ dbt.type_string() }}) as first_channel,
        cast(first_landing_page_path as {{ dbt.type_string() }}) as first_landing_page_path,
        cast(first_device_type as {{ dbt.type_string() }}) as first_device_type
    from aggregated

)

select * from final
