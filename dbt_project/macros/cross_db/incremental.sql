{#- The strategy of the models that replace their rows by unique_key (stg_clickstream__events, int_visitors_stitched,
    pipeline_health_hourly), cross-database (docs/scaling.md): PostgreSQL deletes the keys and inserts
    (delete+insert); Spark merges on the key, which needs a lake table format (the var spark_file_format: iceberg in
    production). On plain parquet (the local check, tests/dbt_project/test_spark_port.py, has no Iceberg) Spark can
    only append: right for a first build or a full refresh, which is all that check runs. -#}
{% macro keyed_incremental_strategy() -%}
    {{ return(adapter.dispatch('keyed_incremental_strategy', 'clickstream_warehouse')()) }}
{%- endmacro %}

{% macro default__keyed_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__keyed_incremental_strategy() -%}
    {{ return('merge' if var('spark_file_format', 'iceberg') in ['iceberg', 'delta', 'hudi'] else 'append') }}
{%- endmacro %}
