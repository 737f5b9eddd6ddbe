{#- The day-level incremental marts rebuild the reporting days int_periods_touched names: the pre-hook deletes them
    (`delete_touched_days`), the model selects its source rows of those days only (`in_touched_days`) and they are
    appended worked out again whole. Nothing is deleted or filtered on a first build or a full refresh. -#}

{% macro delete_touched_days(day_column) %}
    {{ delete_listed(day_column, 'int_periods_touched', 'event_date') }}
{% endmacro %}

{#- The pre-hook of a model rebuilt by key: delete this table's rows whose `column` is in `work_list`'s
    `work_list_column` (a model naming what this build recomputes), on an incremental build only. -#}
{% macro delete_listed(column, work_list, work_list_column) %}
    {% if is_incremental() %}
        delete from {{ this }}
        where {{ column }} in (select touched.{{ work_list_column }} from {{ ref(work_list) }} as touched)
    {% endif %}
{% endmacro %}

{% macro in_touched_days(day_column) %}
    {%- if is_incremental() -%}
        {{ day_column }} in (select touched.event_date from {{ ref('int_periods_touched') }} as touched)
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}
