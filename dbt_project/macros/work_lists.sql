{#- The models rebuilt piecewise delete what a work list names and append it worked out again. A work list is an
    intermediate model naming what this build can change: int_visitors_touched (visitors, from a window start),
    int_periods_touched (reporting days and received hours), int_users_touched (users rows). On a first build or a
    full refresh nothing is deleted and nothing filtered: everything is built.

    The work list is referenced only on incremental builds, which dbt's parser does not see: a model using these
    macros declares it with a `-- depends_on: {{ ref('<work list>') }}` comment. -#}

{#- Pre-hook: delete this table's rows whose `column` is in `work_list`'s `work_list_column`. -#}
{% macro delete_listed(column, work_list, work_list_column) %}
    {% if is_incremental() %}
        delete from {{ this }}
        where {{ column }} in (select touched.{{ work_list_column }} from {{ ref(work_list) }} as touched)
    {% endif %}
{% endmacro %}

{#- Filter: the source rows whose `column` is in `work_list`'s `work_list_column` (every row when not incremental). -#}
{% macro in_listed(column, work_list, work_list_column) %}
    {%- if is_incremental() -%}
        {{ column }} in (select touched.{{ work_list_column }} from {{ ref(work_list) }} as touched)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The day-level marts: the reporting days int_periods_touched names (the days of every event this build
    re-sessionized, before and after, and of every session an order moved to or from). -#}
{% macro delete_touched_days(day_column) %}
    {{ delete_listed(day_column, 'int_periods_touched', 'event_date') }}
{% endmacro %}

{% macro in_touched_days(day_column) %}
    {{- in_listed(day_column, 'int_periods_touched', 'event_date') -}}
{% endmacro %}
