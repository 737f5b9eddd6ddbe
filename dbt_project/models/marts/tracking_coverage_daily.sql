-- The share of the shop's orders, and of their revenue, that the tracker saw: by the order's day (in
-- reporting_timezone), channel and device of its attributed session ('unknown' when none). Orders are the shop's
-- (matched and backend_only in order_reconciliation, cancelled ones included: the browser saw them placed);
-- revenue is their total as placed in reporting_currency (shop_orders.gross_revenue: orders in several currencies
-- are converted at their day's rate, never added as they are), so refunds do not lower the coverage. Rebuilt whole
-- at every build.

with

reconciliation as (

    select
        order_id,
        order_date,
        channel,
        device_type,
        reconciliation_class
    from {{ ref('order_reconciliation') }}
    where reconciliation_class in ('matched', 'backend_only')

),

shop_orders as (

    select
        order_id,
        gross_revenue
    from {{ ref('shop_orders') }}

),

backend_orders as (

    select
        reconciliation.order_date,
        coalesce(reconciliation.channel, 'unknown') as channel,
        coalesce(reconciliation.device_type, 'unknown') as device_type,
        reconciliation.reconciliation_class = 'matched' as is_tracked,
        shop_orders.gross_revenue as backend_revenue
    from reconciliation
    inner join shop_orders on reconciliation.order_id = shop_orders.order_id

),

final as (

    select
        order_date,
        channel,
        device_type,
        count(*) as orders,
        sum(case when is_tracked then 1 else 0 end) as tracked_orders,
        sum(backend_revenue) as revenue,
        sum(case when is_tracked then backend_revenue else 0 end) as tracked_revenue,
        round(cast(sum(case when is_tracked then 1 else 0 end) as {{ dbt.type_numeric() }}) / count(*), 4)
            as order_coverage,
        round(
            cast(sum(case when is_tracked then backend_revenue else 0 end) as {{ dbt.type_numeric() }})
            / nullif(sum(backend_revenue), 0),
            4
        ) as revenue_coverage
    from backend_orders
    group by order_date, channel, device_type

)

select * from final
