{{ config(indexes=[{'columns': ['order_date', 'product_id'], 'unique': True}]) }}

{#- A unit kept whose cost is unknown (a product without a cost, or not in the history): the day's cost and margin
    are then unknown (null), never understated. -#}
{%- set without_cost = 'costed.units_kept > 0 and costed.unit_cost is null' %}

-- One row per day an order was placed (reporting_timezone) × product, from the shop's own orders (shop_orders and
-- their lines), not the tracked purchases: the units sold, the revenue they brought (gross, less the refunds laid
-- on them, in reporting_currency), their cost and the margin (docs/metrics.md, "Margin"):
--   - a cancelled order sells nothing; a refund (the shop records it per order) is spread over the order's lines
--     in proportion to their amounts, so the lines' net adds up to the order's net_amount;
--   - cost is counted for the units of the orders the shop keeps money for: a refund in full (net 0) is taken as
--     the goods coming back, a partial one as a price concession on goods kept;
--   - each unit costs what the product's version valid when its order was placed says (shop_product_history, the
--     snapshot of the shop's catalogue); an order placed before the product's first version the warehouse has
--     recorded is costed at that first version (the earliest cost known) and counted in units_costed_before_history.
--
-- Rebuilt whole at every build: a refund or cancellation days later changes the day its order was placed, and the
-- shop's orders are few (order_reconciliation and shop_orders are rebuilt whole too).

with

orders as (

    select
        order_id,
        ordered_at,
        order_date,
        is_cancelled,
        net_amount,
        exchange_rate
    from {{ ref('shop_orders') }}

),

lines as (

    select
        items.order_id,
        items.product_id,
        items.quantity,
        items.quantity * items.unit_price as line_amount,
        sum(items.quantity * items.unit_price) over (partition by items.order_id) as order_lines_amount
    from {{ ref('stg_shop__order_items') }} as items

),

versions as (

    select
        product_id,
        cost,
        currency,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        row_number() over (partition by product_id order by dbt_valid_from) as version_number
    from {{ ref('shop_product_history') }}

),

costed as (

    select
        orders.order_date,
        lines.product_id,
        lines.order_id,
        lines.quantity as units,
        lines.line_amount * orders.exchange_rate as gross_revenue,
        case
            when lines.order_lines_amount = 0 then 0
            else orders.net_amount * lines.line_amount / lines.order_lines_amount
        end * orders.exchange_rate as net_revenue,
        case when orders.net_amount > 0 then lines.quantity else 0 end as units_kept,
        versions.cost * cost_rates.rate as unit_cost,
        case when orders.ordered_at < versions.valid_from then lines.quantity else 0 end as units_before_history
    from lines
    inner join orders on lines.order_id = orders.order_id
    left join versions
        on
            lines.product_id = versions.product_id
            and (orders.ordered_at >= versions.valid_from or versions.version_number = 1)
            and (versions.valid_to is null or orders.ordered_at < versions.valid_to)
    {{ join_reporting_rate('versions.currency', 'orders.order_date', alias='cost_rates') }}
    where not orders.is_cancelled

),

products as (

    select
        product_id,
        product_name,
        category
    from {{ ref('stg_shop__products') }}

),

final as (

    select
        costed.order_date::date as order_date,
        cast(costed.product_id as {{ dbt.type_string() }}) as product_id,
        cast(max(products.product_name) as {{ dbt.type_string() }}) as product_name,
        cast(max(products.category) as {{ dbt.type_string() }}) as product_category,
        count(distinct costed.order_id)::bigint as orders,
        sum(costed.units)::bigint as units,
        -- Money to 6 decimals, as the shop's staged amounts: a refund spread by division has more.
        round(sum(costed.gross_revenue), 6)::numeric as gross_revenue,
        round(sum(costed.gross_revenue) - sum(costed.net_revenue), 6)::numeric as refunds,
        round(sum(costed.net_revenue), 6)::numeric as net_revenue,
        (
            case when {{ count_if(without_cost) }} = 0 then round(sum(costed.units_kept * costed.unit_cost), 6) end
        )::numeric as cost,
        (
            case
                when {{ count_if(without_cost) }} = 0
                    then round(sum(costed.net_revenue), 6) - round(sum(costed.units_kept * costed.unit_cost), 6)
            end
        )::numeric as margin,
        sum(costed.units_before_history)::bigint as units_costed_before_history,
        cast('{{ var("reporting_currency") }}' as {{ dbt.type_string() }}) as reporting_currency
    from costed
    left join products on costed.product_id = products.product_id
    group by costed.order_date, costed.product_id

)

select * from final
