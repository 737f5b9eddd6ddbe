{{ config(indexes=[{'columns': ['order_id'], 'unique': True}, {'columns': ['session_key']}]) }}

-- One row per order: an order.id sent twice (a reloaded thank-you page, a retried request) counts once, at its
-- first purchase event. Purchases are a small share of events, so this is rebuilt whole on every build.
--
-- Revenue is converted into reporting_currency here, once, at the currency_rates row of the order's day (in
-- reporting_timezone): every revenue downstream (sessions, the daily marts, products, users, orders) is then in one
-- currency and can be added up. An order without a currency is in reporting_currency; one whose currency has no
-- rate that day keeps revenue null (never added to the others as if it were reporting_currency) and its amount as
-- sent in revenue_as_sent.

with

purchases as (

    select
        order_id,
        event_id,
        session_key,
        visitor_id,
        event_timestamp,
        order_revenue,
        order_currency,
        order_items
    from {{ ref('int_events_sessionized') }}
    where event_name = 'purchase' and order_id is not null

),

ranked as (

    select
        *,
        row_number() over (partition by order_id order by event_timestamp, event_id) as send_number,
        count(*) over (partition by order_id) as times_sent
    from purchases

),

first_sends as (

    select
        order_id,
        event_id,
        session_key,
        visitor_id,
        event_timestamp,
        coalesce(order_revenue, 0)::numeric as revenue_as_sent,
        coalesce(upper(order_currency), '{{ var("reporting_currency") }}') as currency,
        {{ reporting_date('event_timestamp') }} as order_date,
        order_items,
        times_sent
    from ranked
    where send_number = 1

),

final as (

    select
        first_sends.order_id,
        first_sends.event_id as first_event_id,
        first_sends.session_key,
        first_sends.visitor_id,
        first_sends.event_timestamp as ordered_at,
        first_sends.revenue_as_sent::numeric * rates.rate::numeric as revenue,
        first_sends.currency,
        first_sends.revenue_as_sent,
        rates.rate as exchange_rate,
        first_sends.order_items as items,
        first_sends.times_sent
    from first_sends
    {{ join_reporting_rate('first_sends.currency', 'first_sends.order_date') }}

)

select * from final
