-- Per session day, the orders and revenue (reporting_currency) of sessions_daily and of the orders mart equal the
-- deduplicated orders (int_orders_deduplicated) of that day's sessions (an order counts on its session's
-- session_date), bots left out exactly when the marts leave them out (include_bots).

with

deduplicated as (

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

daily as (

    select
        session_date,
        sum(orders) as orders,
        sum(revenue) as revenue
    from {{ ref('sessions_daily') }}
    group by session_date
    having sum(orders) > 0 or sum(revenue) <> 0

),

order_rows as (

    select
        session_date,
        count(*) as orders,
        sum(revenue) as revenue
    from {{ ref('orders') }}
    group by session_date

)

select
    coalesce(deduplicated.session_date, daily.session_date, order_rows.session_date) as session_date,
    deduplicated.orders as orders_in_int_orders_deduplicated,
    daily.orders as orders_in_sessions_daily,
    order_rows.orders as orders_in_orders,
    deduplicated.revenue as revenue_in_int_orders_deduplicated,
    daily.revenue as revenue_in_sessions_daily,
    order_rows.revenue as revenue_in_orders
from deduplicated
full outer join daily on deduplicated.session_date = daily.session_date
full outer join order_rows on coalesce(deduplicated.session_date, daily.session_date) = order_rows.session_date
where
    deduplicated.orders is distinct from daily.orders
    or coalesce(deduplicated.revenue, 0) is distinct from coalesce(daily.revenue, 0)
    or deduplicated.orders is distinct from order_rows.orders
    or deduplicated.revenue is distinct from order_rows.revenue
