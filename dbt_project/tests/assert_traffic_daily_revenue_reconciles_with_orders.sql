-- Per day, traffic_daily's orders and revenue equal the deduplicated orders (int_orders_deduplicated) of that day's
-- sessions (a session's orders count on session_date), bots left out exactly when the marts leave them out
-- (include_bots); acquisition_daily's orders and revenue sum to the same figures.

with

orders as (

    select
        sessions.session_date,
        count(*) as orders,
        sum(orders.revenue) as revenue
    from {{ ref('int_orders_deduplicated') }} as orders
    inner join {{ ref('sessions') }} as sessions on orders.session_key = sessions.session_key
    {% if not var('include_bots') %}
        where not sessions.is_bot
    {% endif %}
    group by sessions.session_date

),

traffic as (

    select
        session_date,
        orders,
        revenue
    from {{ ref('traffic_daily') }}
    where orders > 0 or revenue <> 0

),

acquisition as (

    select
        session_date,
        sum(orders) as orders,
        sum(revenue) as revenue
    from {{ ref('acquisition_daily') }}
    group by session_date
    having sum(orders) > 0 or sum(revenue) <> 0

)

select
    coalesce(orders.session_date, traffic.session_date, acquisition.session_date) as session_date,
    orders.orders as orders_in_int_orders_deduplicated,
    traffic.orders as orders_in_traffic_daily,
    acquisition.orders as orders_in_acquisition_daily,
    orders.revenue as revenue_in_int_orders_deduplicated,
    traffic.revenue as revenue_in_traffic_daily,
    acquisition.revenue as revenue_in_acquisition_daily
from orders
full outer join traffic on orders.session_date = traffic.session_date
full outer join acquisition on coalesce(orders.session_date, traffic.session_date) = acquisition.session_date
where
    orders.orders is distinct from traffic.orders
    or orders.revenue is distinct from traffic.revenue
    or orders.orders is distinct from acquisition.orders
    or orders.revenue is distinct from acquisition.revenue
