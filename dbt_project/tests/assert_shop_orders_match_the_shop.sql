-- shop_orders holds every order of the shop's database once, and its lines, units and completed refunds add up to
-- the shop's own.

with

mart as (

    select
        count(*) as orders,
        count(distinct order_id) as distinct_orders,
        coalesce(sum(gross_amount), 0) as gross,
        coalesce(sum(units), 0) as units,
        coalesce(sum(refunded_amount), 0) as refunded
    from {{ ref('shop_orders') }}

),

shop as (

    select
        count(*) as orders,
        coalesce(sum(total), 0) as gross
    from {{ ref('stg_shop__orders') }}

),

items as (

    select coalesce(sum(order_items.quantity), 0) as units
    from {{ ref('stg_shop__order_items') }} as order_items
    where order_items.order_id in (select shop.order_id from {{ ref('stg_shop__orders') }} as shop)

),

refunds as (

    select coalesce(sum(shop_refunds.amount), 0) as refunded
    from {{ ref('stg_shop__refunds') }} as shop_refunds
    where
        shop_refunds.status = 'COMPLETED'
        and shop_refunds.order_id in (select shop.order_id from {{ ref('stg_shop__orders') }} as shop)

)

select
    mart.*,
    shop.orders as shop_orders
from mart
cross join shop
cross join items
cross join refunds
where
    mart.orders <> shop.orders
    or mart.distinct_orders <> shop.orders
    or mart.gross <> shop.gross
    or mart.units <> items.units
    or mart.refunded <> refunds.refunded
