{#- The pre-hook of every model rebuilt by window: delete this table's rows in the windows int_visitors_touched
    names (per visitor, from window_start on), so the model can append them worked out again. `time_column` is the
    row's time that places it in or out of the window. Nothing on a first build or a full refresh. -#}
{% macro delete_touched_window(time_column) %}
    {% if is_incremental() %}
        delete from {{ this }} as target
        using {{ ref('int_visitors_touched') }} as touched
        where target.visitor_id = touched.visitor_id
            and target.{{ time_column }} >= touched.window_start
    {% endif %}
{% endmacro %}
