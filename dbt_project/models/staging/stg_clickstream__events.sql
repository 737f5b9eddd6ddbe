{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy=keyed_incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['event_id'], 'unique': True},
            {'columns': ['staged_at']},
            {'columns': ['visitor_id', 'event_timestamp']},
            {'columns': ['loaded_at']},
            {'columns': ['s3_key', 'line_no']},
            {'columns': ['received_at']},
        ],
    )
}}

{#- The raw rows that can be new, as a constant (macros/raw_loaded_since.sql): those loaded after the newest loaded_at
    already staged, or after the start of a loader run still in flight then; never further back than the lookback.
    As a constant the planner sees that the rows read are the last hour's (by loaded_at's index) and checks them
    against the staged lines one by one, rather than reading every staged row. The subquery with the plain lookback
    stays (a unit test gives `this` as rows, which a query run while compiling cannot see). -#}
{% set loaded_since = '-infinity' %}
{#- (In a unit test `this` is the name of its given rows, not a relation: the subquery alone bounds the read.) -#}
{% set previous = load_relation(this) if is_incremental() and execute and this is not string else none %}
{% if previous is not none %}
    {% set loaded_since = raw_loaded_since('(select max(staged.loaded_at) from ' ~ previous ~ ' as staged)') %}
{% endif %}

{% set columns = [
    'event_id',
    'visitor_id',
    'client_id',
    'user_id',
    'client_user_id',
    'session_id',
    'request_id',
    'event_name',
    'user_login_state',
    'identity_source',
    'is_first_visit',
    'schema_version',
    'is_sanitized',
    'page_url',
    'page_host',
    'page_path',
    'page_title',
    'referrer',
    'referrer_host',
    'utm_source',
    'utm_medium',
    'utm_campaign',
    'utm_term',
    'utm_content',
    'product_id',
    'product_name',
    'product_category',
    'product_brand',
    'product_price',
    'product_discount_price',
    'order_id',
    'order_revenue',
    'order_currency',
    'order_items',
    'search_query',
    'properties',
    'user_agent',
    'device_type',
    'browser',
    'browser_version',
    'os',
    'os_version',
    'country',
    'ip_hash',
    'event_timestamp',
    'client_event_timestamp',
    'sent_at',
    'received_at',
    's3_key',
    'line_no',
    'loaded_at',
    'staged_at',
] + event_passthroughs() | map(attribute='name') | list -%}

{#- A passthrough added since the last build (dbt_project.yml, event_passthroughs) is a column the staged table does
    not have yet: dbt appends it (on_schema_change) only after this query ran, so the staged copies read it as null.
    Their own values come with a rebuild (docs/operations.md, "Adding an event field"). -#}
{% set staged_columns = columns %}
{% if previous is not none %}
    {% set existing = adapter.get_columns_in_relation(previous) | map(attribute='name') | list %}
    {% set staged_columns = [] %}
    {% for column in columns %}
        {% do staged_columns.append(column if column in existing else 'null as ' ~ column) %}
    {% endfor %}
{% endif %}

-- One row per event: the raw JSON flattened to typed, snake_case columns, and duplicates (the same eventId sent
-- or loaded twice) reduced to the copy received first. Incremental by arrival: each build reads what the loader
-- landed since the last one (with a lookback for late commits) and keeps, per eventId, the first-received copy of
-- the new and the already staged rows together.

with

raw_events as (

    select
        raw_rows.payload,
        raw_rows.s3_key,
        raw_rows.line_no,
        raw_rows.received_at,
        raw_rows.loaded_at
    from {{ source('clickstream', 'raw_events') }} as raw_rows
    {% if is_incremental() %}
        where
            raw_rows.loaded_at > {{ dbt.dateadd(
                'minute',
                -var('loaded_at_lookback_minutes'),
                '(select coalesce(max(previous.loaded_at), ' ~ earliest_timestamp() ~ ') from ' ~ this ~ ' as previous)',
            ) }}
            -- The bound the ledger allows, as a constant the planner can estimate (see loaded_since above).
            and raw_rows.loaded_at > {{ cast_to_timestamptz("'" ~ loaded_since ~ "'") }}
            -- Lines staged already are not new, however often the lookback reads them.
            and not exists (
                select 1 from {{ this }} as staged
                where staged.s3_key = raw_rows.s3_key and staged.line_no = raw_rows.line_no
            )
    {% endif %}

),

renamed as (

    select
        ---------- ids
        coalesce({{ json_text('payload', 'eventId') }}, {{ dbt.hash("s3_key || ':' || line_no") }}) as event_id,
        {{ json_text('payload', 'clientId') }} as client_id,
        {{ json_text('payload', 'userId') }} as user_id,
        {{ json_text('payload', 'clientUserId') }} as client_user_id,
        {{ json_text('payload', 'sessionId') }} as session_id,
        {{ json_text('payload', 'requestId') }} as request_id,

        ---------- event
        {{ json_text('payload', 'eventName') }} as event_name,
        {{ json_text('payload', 'userLoginState') }} as user_login_state,
        {{ json_text('payload', 'identitySource') }} as identity_source,
        {{ json_boolean('payload', 'isFirstVisit') }} as is_first_visit,
        {{ json_text('payload', 'schemaVersion') }} as schema_version,
        {{ json_has_key('payload', 'sanitized') }} as is_sanitized,

        ---------- page
        {{ json_text('payload', 'pageUrl') }} as page_url,
        {{ json_text('payload', 'pageTitle') }} as page_title,
        nullif({{ json_text('payload', 'referrer') }}, '') as referrer,

        ---------- product
        {{ json_text('payload', 'product.id') }} as product_id,
        {{ json_text('payload', 'product.name') }} as product_name,
        {{ json_text('payload', 'product.category') }} as product_category,
        {{ json_text('payload', 'product.brand') }} as product_brand,
        {{ json_number('payload', 'product.price') }} as product_price,
        {{ json_number('payload', 'product.discountPrice') }} as product_discount_price,

        ---------- order and search
        {{ json_text('payload', 'order.id') }} as order_id,
        {{ json_number('payload', 'order.revenue') }} as order_revenue,
        {{ json_text('payload', 'order.currency') }} as order_currency,
        {{ json_array('payload', 'order.items') }} as order_items,
        {{ json_text('payload', 'search.query') }} as search_query,
        {{ json_object('payload', 'properties') }} as properties,

        ---------- passthroughs (dbt_project.yml, event_passthroughs)
        {{- event_passthrough_reads('payload') }}

        ---------- client
        {{ json_text('payload', 'userAgent') }} as user_agent,
        {{ json_text('payload', 'device.type') }} as device_type,
        {{ json_text('payload', 'device.browser') }} as browser,
        {{ json_text('payload', 'device.browserVersion') }} as browser_version,
        {{ json_text('payload', 'device.os') }} as os,
        {{ json_text('payload', 'device.osVersion') }} as os_version,
        {{ json_text('payload', 'country') }} as country,
        {{ json_text('payload', 'ipHash') }} as ip_hash,

        ---------- timestamps
        coalesce({{ json_timestamp('payload', 'eventTimestamp') }}, received_at) as event_timestamp,
        {{ json_timestamp('payload', 'clientEventTimestamp') }} as client_event_timestamp,
        {{ json_timestamp('payload', 'sentAt') }} as sent_at,
        received_at,

        ---------- lineage
        s3_key,
        line_no,
        loaded_at
    from raw_events

),

keyed as (

    select
        *,
        -- The visitor: the stable anonymous id, else the user, else the client's session (else the event alone).
        coalesce(client_id, user_id, session_id, 'event:' || event_id) as visitor_id,
        {{ url_host('page_url') }} as page_host,
        {{ url_path('page_url') }} as page_path,
        {{ url_host('referrer') }} as referrer_host,
        {{ url_parameter('page_url', 'utm_source') }} as utm_source,
        {{ url_parameter('page_url', 'utm_medium') }} as utm_medium,
        {{ url_parameter('page_url', 'utm_campaign') }} as utm_campaign,
        {{ url_parameter('page_url', 'utm_term') }} as utm_term,
        {{ url_parameter('page_url', 'utm_content') }} as utm_content,
        {{ cast_to_timestamptz("'" ~ run_started_at ~ "'") }} as staged_at
    from renamed

),

candidates as (

    select {{ columns | join(', ') }} from keyed
    {% if is_incremental() %}
        union all
        select {{ staged_columns | join(', ') }}
        from {{ this }}
        where event_id in (select keyed.event_id from keyed)
    {% endif %}

),

ranked as (

    select
        *,
        -- The first-received copy; the copy staged earlier when it is the same line (so it keeps its staged_at).
        row_number() over (
            partition by event_id order by received_at, s3_key, line_no, staged_at
        ) as copy_rank
    from candidates

),

final as (

    select
        {{ columns | join(',\n        ') }}
    from ranked
    where copy_rank = 1

)

select * from final
