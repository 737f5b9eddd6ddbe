{#- Instants, wall-clock times and time zones (cross-database: docs/scaling.md). The warehouse's times are instants
    (PostgreSQL's timestamptz); a day, an hour of the day or a week is read off the wall clock of a zone (the
    reporting_timezone var, or UTC for received hours). On Spark every timestamp is an instant shown in the
    session's zone, which must be UTC (spark.sql.session.timeZone: the Spark profile sets it). -#}

{#- The type of an instant. -#}
{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz', 'clickstream_warehouse')()) }}
{%- endmacro %}

{% macro default__type_timestamptz() -%}
    timestamptz
{%- endmacro %}

{% macro spark__type_timestamptz() -%}
    timestamp
{%- endmacro %}

{% macro athena__type_timestamptz() -%}
    timestamp(6) with time zone
{%- endmacro %}


{#- An expression (ISO-8601 text, a string literal, null) as an instant. -#}
{% macro cast_to_timestamptz(expr) -%}
    {{ return(adapter.dispatch('cast_to_timestamptz', 'clickstream_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__cast_to_timestamptz(expr) -%}
    ({{ expr }})::timestamptz
{%- endmacro %}

{% macro spark__cast_to_timestamptz(expr) -%}
    cast({{ expr }} as timestamp)
{%- endmacro %}

{% macro athena__cast_to_timestamptz(expr) -%}
    cast(from_iso8601_timestamp({{ expr }}) as timestamp(6) with time zone)
{%- endmacro %}


{#- An instant before every other: the watermark of a table with no rows yet. -#}
{% macro earliest_timestamp() -%}
    {{ return(adapter.dispatch('earliest_timestamp', 'clickstream_warehouse')()) }}
{%- endmacro %}

{% macro default__earliest_timestamp() -%}
    '-infinity'::timestamptz
{%- endmacro %}

{% macro spark__earliest_timestamp() -%}
    timestamp'0001-01-01 00:00:00'
{%- endmacro %}

{% macro athena__earliest_timestamp() -%}
    timestamp '0001-01-01 00:00:00 UTC'
{%- endmacro %}


{#- The wall-clock time (no zone) an instant shows in `zone`. -#}
{% macro wall_time(instant, zone) -%}
    {{ return(adapter.dispatch('wall_time', 'clickstream_warehouse')(instant, zone)) }}
{%- endmacro %}

{% macro default__wall_time(instant, zone) -%}
    {{ instant }} at time zone '{{ zone }}'
{%- endmacro %}

{% macro spark__wall_time(instant, zone) -%}
    from_utc_timestamp({{ instant }}, '{{ zone }}')
{%- endmacro %}

{% macro athena__wall_time(instant, zone) -%}
    cast({{ instant }} at time zone '{{ zone }}' as timestamp)
{%- endmacro %}


{#- The instant at which `zone`'s clocks show the wall-clock time `wall`: wall_time's inverse. -#}
{% macro instant_at(wall, zone) -%}
    {{ return(adapter.dispatch('instant_at', 'clickstream_warehouse')(wall, zone)) }}
{%- endmacro %}

{% macro default__instant_at(wall, zone) -%}
    {{ wall }} at time zone '{{ zone }}'
{%- endmacro %}

{% macro spark__instant_at(wall, zone) -%}
    to_utc_timestamp({{ wall }}, '{{ zone }}')
{%- endmacro %}

{% macro athena__instant_at(wall, zone) -%}
    with_timezone({{ wall }}, '{{ zone }}')
{%- endmacro %}


{#- The day an instant falls on in reporting_timezone (docs/metrics.md): every mart's day. -#}
{% macro reporting_date(instant) -%}
    cast({{ wall_time(instant, var('reporting_timezone')) }} as date)
{%- endmacro %}

{#- The UTC hour an instant falls in, as an instant (the received hours of pipeline_health_hourly). -#}
{% macro utc_hour(instant) -%}
    {{ instant_at("date_trunc('hour', " ~ wall_time(instant, 'UTC') ~ ")", 'UTC') }}
{%- endmacro %}


{#- Seconds from one instant to another (fractional where the engine keeps fractions). -#}
{% macro seconds_between(start, end) -%}
    {{ return(adapter.dispatch('seconds_between', 'clickstream_warehouse')(start, end)) }}
{%- endmacro %}

{% macro default__seconds_between(start, end) -%}
    extract(epoch from {{ end }} - {{ start }})
{%- endmacro %}

{% macro spark__seconds_between(start, end) -%}
    (unix_micros({{ end }}) - unix_micros({{ start }})) / 1000000.0
{%- endmacro %}

{% macro athena__seconds_between(start, end) -%}
    date_diff('millisecond', {{ start }}, {{ end }}) / 1000.0
{%- endmacro %}


{#- An instant as text for a constant in a model's query ('YYYY-MM-DD HH:MM:SS.ffffff+00' on PostgreSQL): what the
    compile-time queries answer, read back with cast_to_timestamptz. -#}
{% macro timestamptz_as_text(instant) -%}
    {{ return(adapter.dispatch('timestamptz_as_text', 'clickstream_warehouse')(instant)) }}
{%- endmacro %}

{% macro default__timestamptz_as_text(instant) -%}
    ({{ instant }})::text
{%- endmacro %}

{% macro spark__timestamptz_as_text(instant) -%}
    date_format({{ instant }}, 'yyyy-MM-dd HH:mm:ss.SSSSSS')
{%- endmacro %}

{% macro athena__timestamptz_as_text(instant) -%}
    cast({{ instant }} as varchar)
{%- endmacro %}


{#- A wall-clock time's hour as text ('YYYY-MM-DD HH:00:00'), for the hours a compile-time query lists. -#}
{% macro hour_text(wall) -%}
    {{ return(adapter.dispatch('hour_text', 'clickstream_warehouse')(wall)) }}
{%- endmacro %}

{% macro default__hour_text(wall) -%}
    to_char({{ wall }}, 'YYYY-MM-DD HH24:00:00')
{%- endmacro %}

{% macro spark__hour_text(wall) -%}
    date_format({{ wall }}, 'yyyy-MM-dd HH:00:00')
{%- endmacro %}

{% macro athena__hour_text(wall) -%}
    date_format({{ wall }}, '%Y-%m-%d %H:00:00')
{%- endmacro %}
