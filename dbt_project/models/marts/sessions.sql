{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_touched_window('session_end') }}",
        post_hook=[
            "
            {% if is_incremental() %}
            {{ restitch_sessions(this, ref('int_visitors_stitched'), ref('int_visitors_touched')) }}
            {% endif %}
            ",
            "
            {% if is_incremental() %}
            {{ reattribute_session_orders(this, ref('int_orders_deduplicated')) }}
            {% endif %}
            ",
            "{{ create_index_if_missing(this, 'sessions_stitched_user_id', ['stitched_user_id']) }}",
        ],
        indexes=[
            {'columns': ['session_key'], 'unique': True},
            {'columns': ['visitor_id', 'session_start']},
            {'columns': ['session_date']},
        ],
    )
}}

{% set steps = var('funnel_steps') %}

-- int_users_touched reads this table as it was before the build, so it must run first: the ref() below, which dbt
-- sees whether or not the build is incremental. users reads a person's sessions by stitched_user_id: that index is
-- made by the last post-hook, which also reaches a table built before it was added (the indexes config only reaches
-- a new table).
{% do ref('int_users_touched') %}

-- One row per session (int_events_sessionized), with what the shop owner asks of a visit: where it came from,
-- what it saw, how far down the funnel it went, what it bought, and whether it was a bot. Identity is stitched:
-- once a visitor is known by a userId, all its sessions, earlier ones included, carry the latest one (the
-- post-hook re-stitches a touched visitor's earlier sessions). Bots are flagged here and left out of the daily
-- marts unless include_bots is true.

with

events as (

    select sessionized.*
    from {{ ref('int_events_sessionized') }} as sessionized
    {{ join_touched_window('sessionized', incremental_only=true) }}

),

bot_patterns as (

    select
        pattern,
        reason
    from {{ ref('bot_user_agents') }}

),

source_categories as (

    select
        priority,
        host_or_source_pattern,
        source_category
    from {{ ref('channel_source_categories') }}

),

channel_rules as (

    select
        priority,
        channel,
        utm_medium_pattern,
        source_category,
        needs_external_referrer
    from {{ ref('channel_rules') }}

),

orders as (

    select
        session_key,
        sum(revenue) as revenue,
        count(*) as orders
    from {{ ref('int_orders_deduplicated') }}
    group by session_key

),

stitched as (

    select
        visitor_id,
        user_id
    from {{ ref('int_visitors_stitched') }}

),

timeline as (

    select
        *,
        row_number() over (partition by session_key order by event_timestamp, event_id) as position,
        count(*) over (partition by session_key, date_trunc('minute', event_timestamp)) as events_that_minute,
        event_name in ('page_view', 'view_product') as is_page_view
    from events

),

landing as (

    select
        session_key,
        page_url as landing_page_url,
        page_path as landing_page_path,
        referrer,
        case
            when referrer_host in ({{ "'" ~ var('internal_hosts') | join("', '") ~ "'" }}) then null
            else referrer_host
        end as referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        browser,
        os,
        country,
        user_agent
    from timeline
    where position = 1

),

exits as (

    select
        session_key,
        {{ first_by('page_path', ['event_timestamp', 'event_id'], descending=true) }} as exit_page_path
    from timeline
    where is_page_view
    group by session_key

),

{% for step in steps %}
    step_{{ loop.index }} as (

        select
            timeline.session_key,
            min(timeline.event_timestamp) as reached_at
        from timeline
        {% if not loop.first %}
            inner join step_{{ loop.index - 1 }} as previous_step
                on
                    timeline.session_key = previous_step.session_key
                    and timeline.event_timestamp >= previous_step.reached_at
        {% endif %}
        where timeline.event_name = '{{ step }}'
        group by timeline.session_key

    ),
{% endfor %}

aggregated as (

    select
        session_key,
        min(visitor_id) as visitor_id,
        min(client_id) as client_id,
        min(session_id) as client_session_id,
        {{ first_by('user_id', ['event_timestamp', 'event_id'], descending=true, condition='user_id is not null') }}
            as user_id,
        min(event_timestamp) as session_start,
        max(event_timestamp) as session_end,
        count(*) as events,
        {{ count_if('is_page_view') }} as page_views,
        -- A bounce counts pages, not events: a product page sends page_view and view_product, and is one page.
        {{ count_if("event_name = 'page_view'") }} as pages_loaded,
        bool_or(event_name in ({{ "'" ~ var('conversion_events') | join("', '") ~ "'" }})) as has_conversion_event,
        {{ count_distinct_if('product_id', "event_name = 'view_product'") }} as products_viewed,
        {{ count_if("event_name = 'add_to_cart'") }} as add_to_carts,
        {{ count_if("event_name = 'search'") }} as searches,
        bool_or(coalesce(is_first_visit, false)) as is_first_visit,
        {{- session_passthrough_aggregates() }}
        max(events_that_minute) as max_events_per_minute
    from timeline
    group by session_key

),

classified as (

    select
        aggregated.*,
        landing.landing_page_url,
        landing.landing_page_path,
        exits.exit_page_path,
        landing.referrer,
        landing.referrer_host,
        landing.utm_source,
        landing.utm_medium,
        landing.utm_campaign,
        landing.device_type,
        landing.browser,
        landing.os,
        landing.country,
        -- Where several patterns match (mail.google.com is a webmail on a search engine's domain), the seed's
        -- priority decides.
        (
            select source_categories.source_category
            from source_categories
            where
                {{ regex_matches(
                    "coalesce(landing.utm_source, landing.referrer_host, '')",
                    'source_categories.host_or_source_pattern',
                    case_insensitive=true,
                ) }}
            order by source_categories.priority asc, source_categories.source_category asc
            limit 1
        ) as source_category,
        (
            select min(bot_patterns.reason)
            from bot_patterns
            where {{ regex_matches('landing.user_agent', 'bot_patterns.pattern', case_insensitive=true) }}
        ) as user_agent_bot_reason
    from aggregated
    inner join landing on aggregated.session_key = landing.session_key
    left join exits on aggregated.session_key = exits.session_key

),

final as (

    select
        classified.session_key,
        classified.visitor_id,
        classified.client_id,
        classified.client_session_id,
        classified.user_id,
        stitched.user_id as stitched_user_id,
        classified.session_start,
        classified.session_end,
        {{ reporting_date('classified.session_start') }} as session_date,
        ({{ seconds_between('classified.session_start', 'classified.session_end') }})::integer as duration_seconds,
        classified.events,
        classified.page_views,
        classified.products_viewed,
        classified.add_to_carts,
        classified.searches,
        classified.is_first_visit,
        classified.landing_page_url,
        classified.landing_page_path,
        classified.exit_page_path,
        classified.referrer,
        classified.referrer_host,
        classified.utm_source,
        classified.utm_medium,
        classified.utm_campaign,
        (
            select channel_rules.channel
            from channel_rules
            where
                (
                    channel_rules.utm_medium_pattern is null
                    or {{ regex_matches(
                        'classified.utm_medium', 'channel_rules.utm_medium_pattern', case_insensitive=true
                    ) }}
                )
                and (
                    channel_rules.source_category is null
                    or classified.source_category = channel_rules.source_category
                )
                and (not channel_rules.needs_external_referrer or classified.referrer_host is not null)
            order by channel_rules.priority
            limit 1
        ) as channel,
        classified.device_type,
        classified.browser,
        classified.os,
        classified.country,
        -- A bounce (docs/metrics.md): at most one page loaded and no conversion event (GA4's and Plausible's
        -- single-page session; scrolls and clicks on that page do not save it).
        classified.pages_loaded <= 1 and not classified.has_conversion_event as is_bounce,
        not (classified.pages_loaded <= 1 and not classified.has_conversion_event)
        or classified.session_end > {{ dbt.dateadd('second', 10, 'classified.session_start') }} as is_engaged,
        case
            {% for step in steps | reverse %}
                when step_{{ steps | length - loop.index0 }}.reached_at is not null
                    then {{ steps | length - loop.index0 }}
            {% endfor %}
            else 0
        end as funnel_step_reached,
        {% for step in steps %}
            step_{{ loop.index }}.reached_at as reached_{{ step }}_at,
        {% endfor %}
        coalesce(orders.orders, 0) as orders,
        coalesce(orders.revenue, 0) as revenue,
        {{- event_passthrough_columns('classified', cast=true, sessions=true) }}
        -- A session without a user agent or device type is no bot for want of one (never null).
        classified.user_agent_bot_reason is not null
        or coalesce(classified.device_type = 'bot', false)
        or classified.max_events_per_minute > {{ var('bot_events_per_minute') }} as is_bot,
        case
            when classified.user_agent_bot_reason is not null then classified.user_agent_bot_reason
            when classified.device_type = 'bot' then 'user agent parsed as a bot'
            when classified.max_events_per_minute > {{ var('bot_events_per_minute') }}
                then 'more than {{ var("bot_events_per_minute") }} events in a minute'
        end as bot_reason
    from classified
    {% for step in steps %}
        left join step_{{ loop.index }} on classified.session_key = step_{{ loop.index }}.session_key
    {% endfor %}
    left join orders on classified.session_key = orders.session_key
    left join stitched on classified.visitor_id = stitched.visitor_id

)

select * from final
