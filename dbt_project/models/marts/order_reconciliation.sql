{{ config(indexes=[{'columns': ['order_id'], 'unique': True}, {'columns': ['order_date']}]) }}

-- One row per order either side knows: the shop's database (shop_orders, the truth for revenue) and the
-- tracked purchases (int_orders_deduplicated, an order id once). docs/shop-database.md explains the classes:
--   matched       both have it;
--   backend_only  the shop has it, no purchase event did (an ad blocker, declined consent, a lost event);
--   tracked_only  a purchase event the shop has no order for (a test order, a forged event, a deleted order).
-- The attributed session is the tracked purchase's; for a backend_only order whose checkout stored the tracker's
-- clientId, the client's session open when the order was placed (started before it and active within the session
-- timeout), the latest if several. net_revenue is what the shop keeps (shop_orders.net_amount: 0 for a cancelled
-- order, else the total less completed refunds), in the order's currency. Rebuilt whole at every build: orders
-- are few.

with

shop_orders as (

    select
        order_id,
        status,
        client_id,
        ordered_at as created_at,
        currency,
        gross_amount as total,
        net_amount
    from {{ ref('shop_orders') }}

),

tracked as (

    select
        order_id,
        session_key,
        ordered_at as tracked_at,
        currency,
        revenue_as_sent
    from {{ ref('int_orders_deduplicated') }}

),

sessions as (

    select
        session_key,
        visitor_id,
        session_start,
        session_end,
        channel,
        device_type
    from {{ ref('sessions') }}

),

joined as (

    select
        coalesce(shop_orders.order_id, tracked.order_id) as order_id,
        case
            when shop_orders.order_id is not null and tracked.order_id is not null then 'matched'
            when shop_orders.order_id is not null then 'backend_only'
            else 'tracked_only'
        end as reconciliation_class,
        shop_orders.status,
        shop_orders.client_id,
        shop_orders.created_at,
        tracked.tracked_at,
        coalesce(shop_orders.currency, tracked.currency) as currency,
        shop_orders.total as backend_revenue,
        shop_orders.net_amount as net_revenue,
        tracked.revenue_as_sent as tracked_revenue,
        tracked.session_key as tracked_session_key
    from shop_orders
    full outer join tracked on shop_orders.order_id = tracked.order_id

),

by_client as (

    select
        joined.order_id,
        sessions.session_key,
        row_number() over (partition by joined.order_id order by sessions.session_start desc) as latest
    from joined
    inner join sessions
        on
            joined.client_id = sessions.visitor_id
            and joined.created_at >= sessions.session_start
            and joined.created_at <= {{ dbt.dateadd('minute', var('session_timeout_minutes'), 'sessions.session_end') }}
    where joined.tracked_session_key is null and joined.client_id is not null

),

final as (

    select
        joined.order_id,
        joined.reconciliation_class,
        joined.status,
        joined.client_id,
        coalesce(joined.created_at, joined.tracked_at) as ordered_at,
        {{ reporting_date('coalesce(joined.created_at, joined.tracked_at)') }} as order_date,
        joined.currency,
        joined.backend_revenue,
        cast(joined.net_revenue as {{ dbt.type_numeric() }}) as net_revenue,
        cast(joined.tracked_revenue as {{ dbt.type_numeric() }}) as tracked_revenue,
        cast(
            coalesce(joined.backend_revenue, 0) - coalesce(joined.tracked_revenue, 0) as {{ dbt.type_numeric() }}
        ) as revenue_difference,
        coalesce(joined.tracked_session_key, by_client.session_key) as attributed_session_key,
        case
            when joined.tracked_session_key is not null then 'purchase_event'
            when by_client.session_key is not null then 'client_id'
        end as attributed_by,
        sessions.channel,
        sessions.device_type
    from joined
    left join by_client on joined.order_id = by_client.order_id and by_client.latest = 1
    left join sessions on sessions.session_key = coalesce(joined.tracked_session_key, by_client.session_key)

)

select * from final
