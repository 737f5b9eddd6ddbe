{#- The warehouse's schemas are exactly staging, intermediate and marts (plus an optional prefix, so a second
    copy can be built beside the first), not dbt's default "<target schema>_<custom schema>". -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ var('schema_prefix', '') ~ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
