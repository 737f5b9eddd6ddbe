{{
    config(
        materialized='incremental',
        incremental_strategy=keyed_incremental_strategy(),
        unique_key='received_hour',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['received_hour'], 'unique': True},
        ],
    )
}}

{#- The hours int_periods_touched names are read while compiling (below); ref() here, on every build, lets dbt see
    that it runs first. -#}
{% set periods_touched = ref('int_periods_touched') %}

{#- Incremental builds first ask which hours changed (two small queries), then write those hours into the model's
    query as constants: the planner then reads only the day partitions of raw_events they fall in (and
    clickstream_events' received_at index), however far apart the hours are. -#}
{% set hours = [] %}
{% if is_incremental() and execute %}
    {% set loaded_since -%}
        {{ cast_to_timestamptz(
            "'" ~ raw_loaded_since('(select max(published.last_loaded_at) from ' ~ this ~ ' as published)') ~ "'"
        ) }}
    {%- endset %}
    {% set hours_query %}
        select distinct {{ hour_text('received_hour') }} as received_hour
        from (
            select date_trunc('hour', {{ wall_time('received_at', 'UTC') }}) as received_hour
            from {{ source('clickstream', 'raw_events') }}
            where loaded_at > {{ loaded_since }}
            union all
            select {{ wall_time('object_hour', 'UTC') }}
            from {{ ref('stg_clickstream__load_manifest') }}
            where loaded_at > {{ loaded_since }}
            union all
            select {{ wall_time('coalesce(manifest.object_hour, ' ~ s3_key_hour('rejected.s3_key') ~ ')', 'UTC') }}
            from {{ ref('stg_clickstream__rejected_lines') }} as rejected
            left join {{ ref('stg_clickstream__load_manifest') }} as manifest on rejected.s3_key = manifest.s3_key
            where rejected.rejected_at > {{ loaded_since }}
            union all
            select {{ wall_time('received_hour', 'UTC') }}
            from {{ periods_touched }}
        ) as changed_hours
        where received_hour is not null
        order by 1
    {% endset %}
    {% for hour in run_query(hours_query).columns[0].values() %}
        {% do hours.append(hour) %}
    {% endfor %}
{% endif %}

{% set changed = hour_ranges(hours) %}

-- One row per received hour (UTC; the hour the ingest received the events, which names the raw object's key):
-- what arrived and what became of it. Objects loaded (raw.load_manifest, by the object's hour), raw rows
-- (raw.raw_events), lines rejected (raw.rejected_lines, by the object's hour; line 0 is a whole object), events
-- modelled (stg_clickstream__events, after deduplication), events of bot sessions (clickstream_events; counted
-- whatever include_bots says), the load lag (loaded_at − received_at of the raw rows: median and maximum, and the
-- median in minutes), and the newest event received in the hour among the raw rows and among those modelled: their
-- maximum over the hours is the data's freshness ("data up to HH:MM"), which the time of the last load is not.
--
-- Incremental by hour (delete+insert on received_hour): the hours that had raw rows, manifest rows or rejections
-- loaded since the newest last_loaded_at already here (or since the start of a loader run still in flight then, at
-- most loaded_at_lookback_minutes before it: macros/raw_loaded_since.sql), plus the hours int_periods_touched
-- names (events re-sessionized: their bot flag or their staged copy may have changed). Each such hour is worked
-- out again whole; the others keep their row. JIT is off for this model: compiling a plan over every day
-- partition of raw_events took seconds, the query milliseconds.

with

manifest as (

    select
        s3_key,
        object_hour,
        loaded_at
    from {{ ref('stg_clickstream__load_manifest') }}
    {% if is_incremental() %}
        where {{ in_time_ranges('object_hour', changed) }}
    {% endif %}

),

rejected as (

    select
        rejected.s3_key,
        rejected.line_no,
        -- An object rejected whole has no manifest row: its key still names its hour.
        coalesce(manifest.object_hour, {{ s3_key_hour('rejected.s3_key') }}) as object_hour,
        rejected.rejected_at
    from {{ ref('stg_clickstream__rejected_lines') }} as rejected
    left join {{ ref('stg_clickstream__load_manifest') }} as manifest on rejected.s3_key = manifest.s3_key

),

raw_rows as (

    select
        date_trunc('hour', {{ wall_time('received_at', 'UTC') }}) as received_hour,
        count(*) as raw_rows,
        {{ median(seconds_between('received_at', 'loaded_at')) }} as median_load_lag_seconds,
        max({{ seconds_between('received_at', 'loaded_at') }}) as max_load_lag_seconds,
        max(received_at) as newest_received_at,
        max(loaded_at) as last_loaded_at
    from {{ source('clickstream', 'raw_events') }}
    {% if is_incremental() %}
        where {{ in_time_ranges('received_at', changed) }}
    {% endif %}
    group by date_trunc('hour', {{ wall_time('received_at', 'UTC') }})

),

objects as (

    select
        {{ wall_time('object_hour', 'UTC') }} as received_hour,
        count(*) as objects_loaded,
        max(loaded_at) as last_loaded_at
    from manifest
    group by object_hour

),

rejections as (

    select
        {{ wall_time('object_hour', 'UTC') }} as received_hour,
        {{ count_if('line_no > 0') }} as rejected_lines,
        {{ count_if('line_no = 0') }} as rejected_objects,
        max(rejected_at) as last_loaded_at
    from rejected
    {% if is_incremental() %}
        where {{ in_time_ranges('object_hour', changed) }}
    {% endif %}
    group by object_hour

),

modelled as (

    select
        date_trunc('hour', {{ wall_time('received_at', 'UTC') }}) as received_hour,
        count(*) as modelled_events,
        max(received_at) as newest_modelled_at
    from {{ ref('stg_clickstream__events') }}
    {% if is_incremental() %}
        where {{ in_time_ranges('received_at', changed) }}
    {% endif %}
    group by date_trunc('hour', {{ wall_time('received_at', 'UTC') }})

),

bots as (

    select
        date_trunc('hour', {{ wall_time('received_at', 'UTC') }}) as received_hour,
        {{ count_if('is_bot') }} as bot_events
    from {{ ref('clickstream_events') }}
    {% if is_incremental() %}
        where {{ in_time_ranges('received_at', changed) }}
    {% endif %}
    group by date_trunc('hour', {{ wall_time('received_at', 'UTC') }})

),

all_hours as (

    select received_hour from raw_rows
    union
    select received_hour from objects
    union
    select received_hour from rejections

),

final as (

    select
        cast(({{ instant_at('all_hours.received_hour', 'UTC') }}) as {{ type_timestamptz() }}) as received_hour,
        coalesce(objects.objects_loaded, 0)::bigint as objects_loaded,
        coalesce(raw_rows.raw_rows, 0)::bigint as raw_rows,
        coalesce(rejections.rejected_lines, 0)::bigint as rejected_lines,
        coalesce(rejections.rejected_objects, 0)::bigint as rejected_objects,
        coalesce(modelled.modelled_events, 0)::bigint as modelled_events,
        coalesce(bots.bot_events, 0)::bigint as bot_events,
        round(raw_rows.median_load_lag_seconds::numeric, 3)::numeric(14, 3) as median_load_lag_seconds,
        round(raw_rows.max_load_lag_seconds::numeric, 3)::numeric(14, 3) as max_load_lag_seconds,
        round(raw_rows.median_load_lag_seconds::numeric / 60, 1)::numeric(12, 1) as median_load_lag_minutes,
        cast(raw_rows.newest_received_at as {{ type_timestamptz() }}) as newest_received_at,
        cast(modelled.newest_modelled_at as {{ type_timestamptz() }}) as newest_modelled_at,
        cast(
            greatest(raw_rows.last_loaded_at, objects.last_loaded_at, rejections.last_loaded_at)
            as {{ type_timestamptz() }}
        ) as last_loaded_at
    from all_hours
    left join raw_rows on all_hours.received_hour = raw_rows.received_hour
    left join objects on all_hours.received_hour = objects.received_hour
    left join rejections on all_hours.received_hour = rejections.received_hour
    left join modelled on all_hours.received_hour = modelled.received_hour
    left join bots on all_hours.received_hour = bots.received_hour
    where all_hours.received_hour is not null

)

select * from final
