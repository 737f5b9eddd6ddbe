-- Every deduplicated order is in sessions once: per session, sessions.orders and sessions.revenue equal the orders
-- int_orders_deduplicated places there, and no order points at a session that does not exist. Bots included (the
-- sessions mart keeps them, flagged).

with

orders_per_session as (

    select
        session_key,
        count(*) as orders,
        sum(revenue) as revenue
    from {{ ref('int_orders_deduplicated') }}
    group by session_key

),

sessions as (

    select
        session_key,
        orders,
        revenue
    from {{ ref('sessions') }}
    where orders > 0 or revenue <> 0

)

select
    coalesce(orders_per_session.session_key, sessions.session_key) as session_key,
    orders_per_session.orders as orders_in_int_orders_deduplicated,
    sessions.orders as orders_in_sessions,
    orders_per_session.revenue as revenue_in_int_orders_deduplicated,
    sessions.revenue as revenue_in_sessions
from orders_per_session
full outer join sessions on orders_per_session.session_key = sessions.session_key
where
    orders_per_session.orders is distinct from sessions.orders
    or orders_per_session.revenue is distinct from sessions.revenue
