{#- Weeks (Monday-based, as date_trunc('week') everywhere) between dates (cross-database: docs/scaling.md). -#}

{#- The Monday of a date's week. -#}
{% macro week_start(day) -%}
    cast(date_trunc('week', {{ day }}) as date)
{%- endmacro %}

{#- Whole weeks from one Monday to a later one (an integer). -#}
{% macro weeks_between(start_day, end_day) -%}
    {{ return(adapter.dispatch('weeks_between', 'clickstream_warehouse')(start_day, end_day)) }}
{%- endmacro %}

{% macro default__weeks_between(start_day, end_day) -%}
    ({{ end_day }} - {{ start_day }}) / 7
{%- endmacro %}

{#- Spark's `/` is a fractional division. -#}
{% macro spark__weeks_between(start_day, end_day) -%}
    datediff({{ end_day }}, {{ start_day }}) div 7
{%- endmacro %}

{% macro athena__weeks_between(start_day, end_day) -%}
    date_diff('day', {{ start_day }}, {{ end_day }}) / 7
{%- endmacro %}
