{{ config(indexes=[{'columns': ['order_id'], 'unique': True}, {'columns': ['order_date']}]) }}

-- One row per order of the shop's database (stg_shop__orders), the truth for revenue (docs/metrics.md, "Net
-- revenue"): the total as placed (gross), the completed refunds, and what the shop keeps (net): 0 for a cancelled
-- order, else the total less its completed refunds (a requested or rejected refund takes nothing back). Amounts are
-- in the order's currency as the shop recorded them, and in reporting_currency at the rate of the order's day
-- (macro join_reporting_rate; null without one). The order's day is the day it was placed (createdAt) in
-- reporting_timezone. Orders are few: rebuilt whole at every build, so a refund or cancellation arriving days
-- later changes its order's row at the next build.

with

shop_orders as (

    select * from {{ ref('stg_shop__orders') }}

),

refunds as (

    select
        order_id,
        sum(amount) as refunded_amount
    from {{ ref('stg_shop__refunds') }}
    where status = 'COMPLETED'
    group by order_id

),

lines as (

    select
        order_id,
        count(*) as items,
        sum(quantity) as units
    from {{ ref('stg_shop__order_items') }}
    group by order_id

),

amounts as (

    select
        shop_orders.order_id,
        shop_orders.shop_user_id,
        shop_orders.client_id,
        shop_orders.created_at as ordered_at,
        {{ reporting_date('shop_orders.created_at') }} as order_date,
        shop_orders.status,
        shop_orders.status = 'CANCELLED' as is_cancelled,
        coalesce(refunds.refunded_amount, 0) > 0 as is_refunded,
        shop_orders.currency,
        coalesce(lines.items, 0) as items,
        coalesce(lines.units, 0) as units,
        shop_orders.total as gross_amount,
        coalesce(refunds.refunded_amount, 0) as refunded_amount,
        case
            when shop_orders.status = 'CANCELLED' then 0
            else shop_orders.total - coalesce(refunds.refunded_amount, 0)
        end as net_amount
    from shop_orders
    left join refunds on shop_orders.order_id = refunds.order_id
    left join lines on shop_orders.order_id = lines.order_id

),

final as (

    select
        cast(amounts.order_id as {{ dbt.type_string() }}) as order_id,
        cast(amounts.shop_user_id as {{ dbt.type_string() }}) as shop_user_id,
        cast(amounts.client_id as {{ dbt.type_string() }}) as client_id,
        cast(amounts.ordered_at as {{ type_timestamptz() }}) as ordered_at,
        amounts.order_date::date as order_date,
        cast(amounts.status as {{ dbt.type_string() }}) as status,
        amounts.is_cancelled::boolean as is_cancelled,
        amounts.is_refunded::boolean as is_refunded,
        cast(amounts.currency as {{ dbt.type_string() }}) as currency,
        amounts.items::bigint as items,
        amounts.units::bigint as units,
        amounts.gross_amount::numeric as gross_amount,
        amounts.refunded_amount::numeric as refunded_amount,
        amounts.net_amount::numeric as net_amount,
        rates.rate::numeric as exchange_rate,
        cast('{{ var("reporting_currency") }}' as {{ dbt.type_string() }}) as reporting_currency,
        (amounts.gross_amount * rates.rate)::numeric as gross_revenue,
        (amounts.net_amount * rates.rate)::numeric as net_revenue
    from amounts
    {{ join_reporting_rate('amounts.currency', 'amounts.order_date') }}

)

select * from final
