{#- Conditional and ordered aggregates (cross-database: docs/scaling.md). PostgreSQL (the default) writes them with
    FILTER and array_agg; the others with CASE (or their own functions). A group never is empty, so a count of
    matching rows is 0, not null, everywhere. -#}

{#- The rows for which `condition` is true (as an aggregate, or before `over (…)` as a window function). -#}
{% macro count_if(condition) -%}
    {{ return(adapter.dispatch('count_if', 'clickstream_warehouse')(condition)) }}
{%- endmacro %}

{% macro default__count_if(condition) -%}
    count(*) filter (where {{ condition }})
{%- endmacro %}

{% macro spark__count_if(condition) -%}
    count(case when {{ condition }} then 1 end)
{%- endmacro %}

{% macro athena__count_if(condition) -%}
    count_if({{ condition }})
{%- endmacro %}


{#- The distinct non-null values of `expr` among the rows for which `condition` is true. -#}
{% macro count_distinct_if(expr, condition) -%}
    {{ return(adapter.dispatch('count_distinct_if', 'clickstream_warehouse')(expr, condition)) }}
{%- endmacro %}

{% macro default__count_distinct_if(expr, condition) -%}
    count(distinct {{ expr }}) filter (where {{ condition }})
{%- endmacro %}

{% macro spark__count_distinct_if(expr, condition) -%}
    count(distinct case when {{ condition }} then {{ expr }} end)
{%- endmacro %}

{% macro athena__count_distinct_if(expr, condition) -%}
    count(distinct case when {{ condition }} then {{ expr }} end)
{%- endmacro %}


{#- The sum of `expr` over the rows for which `condition` is true (null when none is). -#}
{% macro sum_if(expr, condition) -%}
    {{ return(adapter.dispatch('sum_if', 'clickstream_warehouse')(expr, condition)) }}
{%- endmacro %}

{% macro default__sum_if(expr, condition) -%}
    sum({{ expr }}) filter (where {{ condition }})
{%- endmacro %}

{% macro spark__sum_if(expr, condition) -%}
    sum(case when {{ condition }} then {{ expr }} end)
{%- endmacro %}

{% macro athena__sum_if(expr, condition) -%}
    sum(case when {{ condition }} then {{ expr }} end)
{%- endmacro %}


{#- The value of `expr` on the group's first row by `order_by` (a list of columns, all ascending or all descending,
    the last of them unique within the group), among the rows for which `condition` is true when one is given; null
    when no row is. The value may be null unless `condition` excludes it. -#}
{% macro first_by(expr, order_by, descending=false, condition=none) -%}
    {{ return(adapter.dispatch('first_by', 'clickstream_warehouse')(expr, order_by, descending, condition)) }}
{%- endmacro %}

{% macro default__first_by(expr, order_by, descending, condition) -%}
    (array_agg({{ expr }} order by {{ order_by | join(' desc, ' if descending else ', ') }}{{ ' desc' if descending }})
    {%- if condition %} filter (where {{ condition }}){% endif %})[1]
{%- endmacro %}

{#- min_by/max_by ignore rows whose ordering is null; a struct of the columns never is. -#}
{% macro spark__first_by(expr, order_by, descending, condition) -%}
    {{ 'max_by' if descending else 'min_by' }}({{ expr }}, struct({{ order_by | join(', ') }}))
    {%- if condition %} filter (where {{ condition }}){% endif %}
{%- endmacro %}

{% macro athena__first_by(expr, order_by, descending, condition) -%}
    element_at(array_agg({{ expr }} order by {{ order_by | join(' desc, ' if descending else ', ') }}{{ ' desc' if descending }})
    {%- if condition %} filter (where {{ condition }}){% endif %}, 1)
{%- endmacro %}


{#- The median of `expr`, interpolated between the two middle values (Athena's is approximate). -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'clickstream_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro spark__median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}

{% macro athena__median(expr) -%}
    approx_percentile({{ expr }}, 0.5)
{%- endmacro %}
