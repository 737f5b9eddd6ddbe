{#- Statistics and indexes (cross-database: docs/scaling.md). PostgreSQL plans by its statistics and reads by
    indexes; the column stores plan by file statistics and have no indexes (the models' `indexes` config is
    dbt-postgres's and ignored elsewhere), so there these hooks do what the engine offers, or nothing. -#}

{#- Refresh the planner's statistics of a table just built (a post-hook). -#}
{% macro analyze_table(relation) -%}
    {{ return(adapter.dispatch('analyze_table', 'clickstream_warehouse')(relation)) }}
{%- endmacro %}

{% macro default__analyze_table(relation) -%}
    analyze {{ relation }}
{%- endmacro %}

{% macro spark__analyze_table(relation) -%}
    analyze table {{ relation }} compute statistics
{%- endmacro %}

{% macro athena__analyze_table(relation) -%}
    select 1
{%- endmacro %}


{#- An index on a table that may predate it (the `indexes` config only reaches a new table). -#}
{% macro create_index_if_missing(relation, name, columns) -%}
    {{ return(adapter.dispatch('create_index_if_missing', 'clickstream_warehouse')(relation, name, columns)) }}
{%- endmacro %}

{% macro default__create_index_if_missing(relation, name, columns) -%}
    create index if not exists {{ name }} on {{ relation }} ({{ columns | join(', ') }})
{%- endmacro %}

{#- No indexes: a statement that does nothing, so the hook stays one. -#}
{% macro spark__create_index_if_missing(relation, name, columns) -%}
    select 1
{%- endmacro %}

{% macro athena__create_index_if_missing(relation, name, columns) -%}
    select 1
{%- endmacro %}
