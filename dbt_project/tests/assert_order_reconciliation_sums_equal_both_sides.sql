-- order_reconciliation keeps every order of both sides once: its backend revenue adds up to the shop's orders',
-- its tracked revenue to the tracked purchases', and each side's order count is the source's.

with

reconciled as (

    select
        sum(case when reconciliation_class <> 'tracked_only' then 1 else 0 end) as backend_orders,
        sum(case when reconciliation_class <> 'backend_only' then 1 else 0 end) as tracked_orders,
        coalesce(sum(backend_revenue), 0) as backend_revenue,
        coalesce(sum(tracked_revenue), 0) as tracked_revenue
    from {{ ref('order_reconciliation') }}

),

shop as (

    select
        count(*) as orders,
        coalesce(sum(total), 0) as revenue
    from {{ ref('stg_shop__orders') }}

),

tracked as (

    select
        count(*) as orders,
        coalesce(sum(revenue_as_sent), 0) as revenue
    from {{ ref('int_orders_deduplicated') }}

)

select
    reconciled.*,
    shop.orders as shop_orders,
    tracked.orders as tracked_source_orders
from reconciled
cross join shop
cross join tracked
where
    reconciled.backend_orders <> shop.orders
    or reconciled.tracked_orders <> tracked.orders
    or reconciled.backend_revenue <> shop.revenue
    or reconciled.tracked_revenue <> tracked.revenue
