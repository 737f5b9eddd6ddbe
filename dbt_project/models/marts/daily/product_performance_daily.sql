{{
    config(
        meta={'touched_day_column': 'event_date'},
        indexes=[{'columns': ['event_date', 'product_id'], 'unique': True}],
    )
}}

-- One row per reporting day (reporting_timezone, the day the event happened) × product: product views
-- (view_product events) and the distinct visitors behind them, add_to_cart events, and from the deduplicated
-- orders (int_orders_deduplicated, an order counted once, on the day of its first purchase event) the orders that
-- held the product, the units and the revenue (quantity × price of its items, in reporting_currency at the
-- order's exchange rate). Rates are per product view:
-- add_to_cart_rate = add_to_carts / views, purchase_rate = purchases / views (null without views). Name, category
-- and brand are the latest the product carried that day (else the latest known). Bots are left out unless
-- include_bots is true.
--
-- Incremental by day: it reads events, a third of which are product views, so it is not rebuilt whole. The
-- pre-hook deletes the days int_periods_touched names (the days of the events this build re-sessionized, before
-- and after, and of their orders) and those days are appended, worked out again whole. JIT is off for the model:
-- compiling its plan took over a second, running it a few milliseconds.

with

product_events as (

    select
        event_id,
        event_date,
        event_timestamp,
        event_name,
        visitor_id,
        product_id,
        product_name,
        product_category,
        product_brand
    from {{ ref('clickstream_events') }}
    where
        product_id is not null
        and {{ in_touched_days('event_date') }}
        and {{ not_bot() }}

),

sessions as (

    select
        session_key,
        is_bot
    from {{ ref('sessions') }}

),

orders as (

    select
        orders.order_id,
        {{ reporting_date('orders.ordered_at') }} as order_date,
        orders.exchange_rate,
        orders.items
    from {{ ref('int_orders_deduplicated') }} as orders
    left join sessions on orders.session_key = sessions.session_key
    where
        orders.items is not null
        and {{ not_bot('coalesce(sessions.is_bot, false)') }}

),

order_items as (

    select
        orders.order_date as event_date,
        orders.order_id,
        coalesce({{ json_text('items.item', 'productId') }}, '(not set)') as product_id,
        coalesce({{ json_number('items.item', 'quantity') }}, 0) as quantity,
        -- In reporting_currency, at the order's rate (int_orders_deduplicated); null for a currency without one.
        coalesce({{ json_number('items.item', 'quantity') }}, 0)
        * coalesce({{ json_number('items.item', 'price') }}, 0)
        * orders.exchange_rate as item_revenue
    from orders
    {{ join_json_array_elements('orders.items', 'items', 'item') }}
    where {{ in_touched_days('orders.order_date') }}

),

event_counts as (

    select
        event_date,
        product_id,
        {{ count_if("event_name = 'view_product'") }} as views,
        {{ count_distinct_if('visitor_id', "event_name = 'view_product'") }} as unique_viewers,
        {{ count_if("event_name = 'add_to_cart'") }} as add_to_carts
    from product_events
    group by event_date, product_id

),

order_counts as (

    select
        event_date,
        product_id,
        count(distinct order_id) as purchases,
        sum(quantity) as units,
        sum(item_revenue) as revenue
    from order_items
    group by event_date, product_id

),

day_attributes as (

    select
        event_date,
        product_id,
        {{ first_by('product_name', ['event_timestamp', 'event_id'], descending=true) }} as product_name,
        {{ first_by('product_category', ['event_timestamp', 'event_id'], descending=true) }} as product_category,
        {{ first_by('product_brand', ['event_timestamp', 'event_id'], descending=true) }} as product_brand
    from product_events
    where product_name is not null or product_category is not null or product_brand is not null
    group by event_date, product_id

),

combined as (

    select
        coalesce(event_counts.event_date, order_counts.event_date) as event_date,
        coalesce(event_counts.product_id, order_counts.product_id) as product_id,
        coalesce(event_counts.views, 0) as views,
        coalesce(event_counts.unique_viewers, 0) as unique_viewers,
        coalesce(event_counts.add_to_carts, 0) as add_to_carts,
        coalesce(order_counts.purchases, 0) as purchases,
        coalesce(order_counts.units, 0) as units,
        coalesce(order_counts.revenue, 0) as revenue
    from event_counts
    full outer join order_counts
        on
            event_counts.event_date = order_counts.event_date
            and event_counts.product_id = order_counts.product_id

),

-- The rates of the var rates (macros/rate.sql), the dashboard's definitions, over each day × product (one row of
-- combined each).
product_day_rates as (

    select
        event_date,
        product_id,
        {{ rate('add_to_cart_rate') }} as add_to_cart_rate,
        {{ rate('purchase_rate') }} as purchase_rate
    from combined
    group by event_date, product_id

),

final as (

    select
        combined.event_date::date as event_date,
        cast(combined.product_id as {{ dbt.type_string() }}) as product_id,
        cast(
            coalesce(day_attributes.product_name, latest_attributes.product_name) as {{ dbt.type_string() }}
        ) as product_name,
        cast(
            coalesce(day_attributes.product_category, latest_attributes.product_category) as {{ dbt.type_string() }}
        ) as product_category,
        cast(
            coalesce(day_attributes.product_brand, latest_attributes.product_brand) as {{ dbt.type_string() }}
        ) as product_brand,
        combined.views::bigint as views,
        combined.unique_viewers::bigint as unique_viewers,
        combined.add_to_carts::bigint as add_to_carts,
        combined.purchases::bigint as purchases,
        combined.units::bigint as units,
        combined.revenue::numeric as revenue,
        product_day_rates.add_to_cart_rate::numeric(9, 4) as add_to_cart_rate,
        product_day_rates.purchase_rate::numeric(9, 4) as purchase_rate
    from combined
    inner join product_day_rates
        on
            combined.event_date = product_day_rates.event_date
            and combined.product_id = product_day_rates.product_id
    left join day_attributes
        on
            combined.event_date = day_attributes.event_date
            and combined.product_id = day_attributes.product_id
    -- Only a product bought on a day without any of its events that day looks further back.
    left join lateral (
        select
            known.product_name,
            known.product_category,
            known.product_brand
        from {{ ref('clickstream_events') }} as known
        where
            day_attributes.product_id is null
            and known.product_id = combined.product_id
            and (known.product_name is not null or known.product_category is not null)
        order by known.event_timestamp desc, known.event_id desc
        limit 1
    ) as latest_attributes on true

)

select * from final
