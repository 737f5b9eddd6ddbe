{{
    config(
        indexes=[
            {'columns': ['order_id'], 'unique': True},
            {'columns': ['session_date']},
        ],
    )
}}

-- One row per order (int_orders_deduplicated: an order id counted once, at its first purchase event), with its
-- session's day and slices (the same columns as sessions_daily, so a filter means the same), its currency and
-- amount as sent, and its revenue in reporting_currency. What the dashboard reads orders, revenue, average order
-- value and the returning-customer rate from (the var rates, docs/metrics.md), with the currency shown.
--
-- A customer is a person as users counts them: the stitched userId of the order's session, else its visitor
-- (customer_key is users.user_key). An order is a returning customer's when the customer ordered before it.
-- Bots are left out unless include_bots is true. A table rebuilt whole at every build: orders are a small share of
-- events, and a late, earlier order changes the customer_order_number of every later one of its customer.

with

orders as (

    select
        order_id,
        session_key,
        ordered_at,
        currency,
        revenue_as_sent,
        exchange_rate,
        revenue
    from {{ ref('int_orders_deduplicated') }}

),

sessions as (

    select
        session_key,
        session_date,
        coalesce('user:' || stitched_user_id, 'visitor:' || visitor_id) as customer_key,
        {{ dashboard_slice_columns() }}
    from {{ ref('sessions') }}
    where {{ not_bot() }}

),

final as (

    select
        cast(orders.order_id as {{ dbt.type_string() }}) as order_id,
        cast(orders.ordered_at as {{ type_timestamptz() }}) as ordered_at,
        {{ reporting_date('orders.ordered_at') }} as order_date,
        cast(orders.session_key as {{ dbt.type_string() }}) as session_key,
        sessions.session_date::date as session_date,
        cast(sessions.customer_key as {{ dbt.type_string() }}) as customer_key,
        (
            row_number() over (partition by sessions.customer_key order by orders.ordered_at, orders.order_id)
        )::integer as customer_order_number,
        (
            row_number() over (partition by sessions.customer_key order by orders.ordered_at, orders.order_id) > 1
        )::boolean as is_returning_customer,
        cast(sessions.device_type as {{ dbt.type_string() }}) as device_type,
        cast(sessions.channel as {{ dbt.type_string() }}) as channel,
        cast(sessions.referrer_host as {{ dbt.type_string() }}) as referrer_host,
        cast(sessions.campaign as {{ dbt.type_string() }}) as campaign,
        cast(sessions.country as {{ dbt.type_string() }}) as country,
        cast(orders.currency as {{ dbt.type_string() }}) as currency,
        orders.revenue_as_sent::numeric as revenue_as_sent,
        orders.exchange_rate::numeric as exchange_rate,
        cast('{{ var("reporting_currency") }}' as {{ dbt.type_string() }}) as reporting_currency,
        orders.revenue::numeric as revenue
    from orders
    inner join sessions on orders.session_key = sessions.session_key

)

select * from final
