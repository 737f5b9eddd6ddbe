{#- The UTC hour a raw object's key names (events|rejected|compacted/YYYY/MM/DD/HH/…, raw_store/keys.py), or null
    for a key outside that layout. The marts need it for an object the loader rejected whole: it has no manifest
    row, so no object_hour. Cross-database (docs/scaling.md): each engine has its own regex replacement. -#}
{% macro s3_key_hour(key) -%}
    {{ return(adapter.dispatch('s3_key_hour', 'clickstream_warehouse')(key)) }}
{%- endmacro %}

{% macro default__s3_key_hour(key) -%}
    regexp_replace(
        substring({{ key }} from '^(?:events|rejected|compacted)/(\d{4}/\d\d/\d\d/\d\d)/'),
        '^(\d{4})/(\d\d)/(\d\d)/(\d\d)$',
        '\1-\2-\3 \4:00:00+00'
    )::timestamptz
{%- endmacro %}

{#- to_timestamp answers null for '' (no match) with ANSI mode off, Spark's default before 4.0; try_to_timestamp
    whatever the mode. -#}
{% macro spark__s3_key_hour(key) -%}
    try_to_timestamp(
        regexp_extract({{ key }}, '^(?:events|rejected|compacted)/([0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2})/', 1),
        'yyyy/MM/dd/HH'
    )
{%- endmacro %}

{% macro athena__s3_key_hour(key) -%}
    with_timezone(
        date_parse(
            regexp_extract({{ key }}, '^(?:events|rejected|compacted)/([0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2})/', 1),
            '%Y/%m/%d/%H'
        ),
        'UTC'
    )
{%- endmacro %}
