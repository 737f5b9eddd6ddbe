{{ config(post_hook="{{ analyze_table(this) }}") }}

-- The orders a touched visitor (int_visitors_touched) sent a purchase event of, within its window, and every
-- session holding a purchase event of one of them, whoever's. An order counts in the session of its first
-- purchase event, so a late, earlier copy moves it from one of these sessions to another, maybe another visitor's
-- (sessions re-attributes them after the build): the days (int_periods_touched) and people (int_users_touched)
-- of all of them can change. One row per order × session holding it.

with

-- Read from the events table twice, not through a shared CTE: PostgreSQL materializes a CTE used twice, which would
-- mean every purchase in the history; each read here is an index scan (visitor, then order id).
touched_orders as (

    select distinct sessionized.order_id
    from {{ ref('int_events_sessionized') }} as sessionized
    {{ join_touched_window('sessionized') }}
    where sessionized.event_name = 'purchase' and sessionized.order_id is not null

),

final as (

    select distinct
        sessionized.order_id,
        sessionized.session_key,
        sessionized.visitor_id
    from {{ ref('int_events_sessionized') }} as sessionized
    inner join touched_orders on sessionized.order_id = touched_orders.order_id
    where sessionized.event_name = 'purchase'

)

select * from final
