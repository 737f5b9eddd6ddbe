{#- The delete a model rebuilt by window runs before it appends (cross-database: docs/scaling.md): the rows of
    `relation` whose `time_column` lies in a window of `windows` (a table of visitor_id and window_start) for their
    visitor. PostgreSQL writes it as DELETE … USING; the lake engines (Iceberg, Delta) as DELETE … WHERE EXISTS. -#}
{% macro delete_in_windows(relation, windows, time_column) -%}
    {{ return(adapter.dispatch('delete_in_windows', 'clickstream_warehouse')(relation, windows, time_column)) }}
{%- endmacro %}

{% macro default__delete_in_windows(relation, windows, time_column) -%}
    delete from {{ relation }} as target
    using {{ windows }} as touched
    where target.visitor_id = touched.visitor_id
        and target.{{ time_column }} >= touched.window_start
{%- endmacro %}

{% macro spark__delete_in_windows(relation, windows, time_column) -%}
    delete from {{ relation }} as target
    where exists (
        select 1 from {{ windows }} as touched
        where target.visitor_id = touched.visitor_id
            and target.{{ time_column }} >= touched.window_start
    )
{%- endmacro %}

{% macro athena__delete_in_windows(relation, windows, time_column) -%}
    {{ spark__delete_in_windows(relation, windows, time_column) }}
{%- endmacro %}
