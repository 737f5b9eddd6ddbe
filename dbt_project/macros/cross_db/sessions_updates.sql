{#- The sessions mart's post-hooks that correct rows outside the build's windows (cross-database: docs/scaling.md):
    PostgreSQL writes them as UPDATE … FROM, the lake engines (Iceberg, Delta) as MERGE. Both run on incremental
    builds only (models/marts/sessions.sql). -#}

{#- Once a visitor is known by a userId, all its sessions carry the latest one: a touched visitor's earlier sessions
    are re-stitched. -#}
{% macro restitch_sessions(sessions, stitched, touched) -%}
    {{ return(adapter.dispatch('restitch_sessions', 'clickstream_warehouse')(sessions, stitched, touched)) }}
{%- endmacro %}

{% macro default__restitch_sessions(sessions, stitched, touched) -%}
    update {{ sessions }} as sessions
    set stitched_user_id = stitched.user_id
    from {{ stitched }} as stitched
    where sessions.visitor_id = stitched.visitor_id
        and sessions.visitor_id in (select visitor_id from {{ touched }})
        and sessions.stitched_user_id is distinct from stitched.user_id
{%- endmacro %}

{% macro spark__restitch_sessions(sessions, stitched, touched) -%}
    merge into {{ sessions }} as sessions
    using (
        select stitched.visitor_id, stitched.user_id
        from {{ stitched }} as stitched
        where stitched.visitor_id in (select visitor_id from {{ touched }})
    ) as stitched
    on sessions.visitor_id = stitched.visitor_id
    when matched and not (sessions.stitched_user_id <=> stitched.user_id)
        then update set stitched_user_id = stitched.user_id
{%- endmacro %}


{#- The orders and revenue int_orders_deduplicated attributes to each session, as a query. -#}
{% macro orders_per_session(orders) -%}
    select session_key, count(*) as orders, sum(revenue) as revenue from {{ orders }} group by session_key
{%- endmacro %}


{#- An order counts at its first purchase event. A late, earlier copy sent from another visitor's device moves it to
    a session outside this build's windows: re-attribute every session whose orders no longer match. -#}
{% macro reattribute_session_orders(sessions, orders) -%}
    {{ return(adapter.dispatch('reattribute_session_orders', 'clickstream_warehouse')(sessions, orders)) }}
{%- endmacro %}

{% macro default__reattribute_session_orders(sessions, orders) -%}
    update {{ sessions }} as sessions
    set orders = coalesce(attributed.orders, 0), revenue = coalesce(attributed.revenue, 0)
    from {{ sessions }} as current_sessions
    left join ({{ orders_per_session(orders) }}) as attributed on current_sessions.session_key = attributed.session_key
    where sessions.session_key = current_sessions.session_key
        and (current_sessions.orders > 0 or attributed.orders is not null)
        and (current_sessions.orders, current_sessions.revenue)
        is distinct from (coalesce(attributed.orders, 0), coalesce(attributed.revenue, 0))
{%- endmacro %}

{% macro spark__reattribute_session_orders(sessions, orders) -%}
    merge into {{ sessions }} as sessions
    using (
        select
            current_sessions.session_key,
            coalesce(attributed.orders, 0) as orders,
            coalesce(attributed.revenue, 0) as revenue
        from {{ sessions }} as current_sessions
        left join ({{ orders_per_session(orders) }}) as attributed on current_sessions.session_key = attributed.session_key
        where (current_sessions.orders > 0 or attributed.orders is not null)
            and not (
                current_sessions.orders <=> coalesce(attributed.orders, 0)
                and current_sessions.revenue <=> coalesce(attributed.revenue, 0)
            )
    ) as attributed
    on sessions.session_key = attributed.session_key
    when matched then update set orders = attributed.orders, revenue = attributed.revenue
{%- endmacro %}
