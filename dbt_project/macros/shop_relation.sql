{#-
    A raw_shop table the shop extract lands (docs/shop-database.md), or an empty relation of the same columns when
    it is not there: a warehouse with no shop database (or whose shop has no refunds yet: dlt creates a table with
    its first row) still builds every shop model, empty. `columns` maps each column to its type, in dbt's
    cross-database type macros' terms; a column the table does not have (yet) is null.
-#}
{% macro shop_relation(table, columns) %}
    {%- set relation = load_relation(source('shop', table)) if execute else none -%}
    {%- set present = [] -%}
    {%- if relation is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    (
        select
            {% for name, type in columns.items() -%}
                {%- if name in present -%}
                    {{ adapter.quote(name) }}
                {%- else -%}
                    {#- dlt adds a column with its first non-null value: until then it is null here -#}
                    cast(null as {{ type }}) as {{ adapter.quote(name) }}
                {%- endif -%}{{ "," if not loop.last }}
            {% endfor %}
        {% if relation is not none -%}
            from {{ relation }}
        {%- else -%}
            where 1 = 0
        {%- endif %}
    )
{% endmacro %}

{#-
    A time of the shop's database as a timestamp with time zone: Prisma's DateTime is timestamp(3) without time
    zone holding UTC, and the clickstream's times are with time zone.
-#}
{% macro shop_utc(column) -%}
    ({{ instant_at('cast(' ~ column ~ ' as timestamp)', 'UTC') }})
{%- endmacro %}
