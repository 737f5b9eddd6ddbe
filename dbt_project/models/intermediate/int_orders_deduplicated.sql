{{ config(indexes=[{'columns': ['order_id'], 'unique': True}, {'columns': ['session_key']}]) }}

-- One row per order: an order.id sent twice (a reloaded thank-you page, a retried request) counts once, at its
-- first purchase event. Purchases are a small share of events, so this is rebuilt whole on every build.

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

final as (

    select
        order_id,
        event_id as first_event_id,
        session_key,
        visitor_id,
        event_timestamp as ordered_at,
        coalesce(order_revenue, 0) as revenue,
        order_currency as currency,
        order_items as items,
        times_sent
    from ranked
    where send_number = 1

)

select * from final
