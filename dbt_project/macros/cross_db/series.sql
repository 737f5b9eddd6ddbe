{#- A join to write after `from …`: one row for each integer from 0 to `stop` (an expression of the rows before
    it), as `alias.column` (cross-database: docs/scaling.md; retention_weekly's grid of weeks). -#}
{% macro join_integer_series(stop, alias, column) -%}
    {{ return(adapter.dispatch('join_integer_series', 'clickstream_warehouse')(stop, alias, column)) }}
{%- endmacro %}

{% macro default__join_integer_series(stop, alias, column) -%}
    cross join lateral generate_series(0, {{ stop }}) as {{ alias }} ({{ column }})
{%- endmacro %}

{% macro spark__join_integer_series(stop, alias, column) -%}
    lateral view explode(sequence(0, {{ stop }})) {{ alias }} as {{ column }}
{%- endmacro %}

{% macro athena__join_integer_series(stop, alias, column) -%}
    cross join unnest(sequence(0, {{ stop }})) as {{ alias }} ({{ column }})
{%- endmacro %}
