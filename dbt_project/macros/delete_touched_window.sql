{#- The pre-hook of every model rebuilt by window: delete this table's rows in the windows int_visitors_touched
    names (per visitor, from window_start on), so the model can append them worked out again. `time_column` is the
    row's time that places it in or out of the window. Nothing on a first build or a full refresh. -#}
{% macro delete_touched_window(time_column) %}
    {% if is_incremental() %}
        {{ delete_in_windows(this, ref('int_visitors_touched'), time_column) }}
    {% endif %}
{% endmacro %}


{#- The events of a relation that lie in the windows int_visitors_touched names (per visitor, from window_start on):
    an inner join to write after `from <relation> as <events>`. Every model that reads events by window uses it, so
    "the window" means the same everywhere. int_visitors_touched is ref()'d on every call, so dbt sees the
    dependency even where the join is made only on incremental builds (`incremental_only`: the models whose first
    build or full refresh reads every event, which is what the join would keep then anyway). -#}
{% macro join_touched_window(events, time_column='event_timestamp', incremental_only=false) -%}
    {%- set touched = ref('int_visitors_touched') -%}
    {%- if is_incremental() or not incremental_only %}
    inner join {{ touched }} as touched
        on
            {{ events }}.visitor_id = touched.visitor_id
            and {{ events }}.{{ time_column }} >= touched.window_start
    {%- endif -%}
{%- endmacro %}
