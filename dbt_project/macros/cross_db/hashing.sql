{#- A 64-bit hash of a text (cross-database: docs/scaling.md), for distinct counts of integers instead of long ids
    (visitors_daily.visitor_number). Each engine has its own function, so the numbers differ between engines: a
    table built on one is not compared with another's by these values. (A 128-bit key, session_key, is dbt.hash:
    md5, the same everywhere.) -#}
{% macro hash_bigint(expr) -%}
    {{ return(adapter.dispatch('hash_bigint', 'clickstream_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__hash_bigint(expr) -%}
    hashtextextended({{ expr }}, 0)
{%- endmacro %}

{% macro spark__hash_bigint(expr) -%}
    xxhash64({{ expr }})
{%- endmacro %}

{% macro athena__hash_bigint(expr) -%}
    from_big_endian_64(xxhash64(to_utf8({{ expr }})))
{%- endmacro %}
