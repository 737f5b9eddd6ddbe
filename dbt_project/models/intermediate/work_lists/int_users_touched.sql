{{ config(indexes=[{'columns': ['user_key'], 'unique': True}], post_hook="{{ analyze_table(this) }}") }}

{% set published = published_relation('marts', 'sessions') %}
{% set rebuild = flags.FULL_REFRESH or published is none %}
{% set unfinished = unfinished_work_list('int_users_touched') %}

-- The rows of the users mart (user_key) this build can change, so users can delete and rebuild those alone: the
-- key of every visitor whose sessions moved, as the visitor was keyed before this build (the published sessions,
-- read directly because that mart depends on this model: this is its state before the build) and as it is now
-- (int_visitors_stitched). A visitor's sessions move when the visitor is touched (int_visitors_touched: its window
-- is re-sessionized and its stitched userId may change, which moves all its sessions from one key to another), or
-- when it holds a purchase of an order int_orders_touched names (an order counts at its first purchase event,
-- which a late copy can move to another visitor's session).
--
-- A 'user:' key stands for every visitor stitched to that userId, so it is named by stitched_user_id; a
-- 'visitor:' key (a visitor never identified) by visitor_id. Exactly one of the two is set on each row. The keys of
-- a build that did not complete are listed again (macros/work_lists.sql): that build may have rebuilt sessions
-- already, so its visitors' keys before it ran are no longer in the published table.

with

touched as (

    select visitor_id
    from {{ ref('int_visitors_touched') }}

),

visitors as (

    select touched.visitor_id
    from touched
    union
    select orders.visitor_id
    from {{ ref('int_orders_touched') }} as orders

),

user_ids as (

    select distinct stitched.user_id as stitched_user_id
    from {{ ref('int_visitors_stitched') }} as stitched
    inner join visitors on stitched.visitor_id = visitors.visitor_id
    {% if not rebuild %}
        union
        select published.stitched_user_id
        from {{ published }} as published
        inner join visitors on published.visitor_id = visitors.visitor_id
        where published.stitched_user_id is not null
    {% endif %}

),

listed as (

    select
        'user:' || stitched_user_id as user_key,
        stitched_user_id,
        cast(null as {{ dbt.type_string() }}) as visitor_id
    from user_ids
    union all
    select
        'visitor:' || visitor_id as user_key,
        cast(null as {{ dbt.type_string() }}) as stitched_user_id,
        visitor_id
    from visitors
    {% if unfinished is not none %}
        union
        select
            unfinished.user_key,
            unfinished.stitched_user_id,
            unfinished.visitor_id
        from {{ unfinished }} as unfinished
    {% endif %}

),

final as (

    select
        user_key,
        stitched_user_id,
        visitor_id,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as build_id
    from listed

)

select * from final
