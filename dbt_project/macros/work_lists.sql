{#- The models rebuilt piecewise delete what a work list names and append it worked out again. A work list is an
    intermediate model naming what this build can change: int_visitors_touched (visitors, from a window start),
    int_periods_touched (reporting days and received hours), int_users_touched (users rows). On a first build or a
    full refresh nothing is deleted and nothing filtered: everything is built.

    The work list is ref()'d on every call, incremental or not, so dbt's parser records the dependency (and runs the
    work list first) however the model is built; only the SQL that uses it is incremental. -#}

{#- Pre-hook: delete this table's rows whose `column` is in `work_list`'s `work_list_column`. -#}
{% macro delete_listed(column, work_list, work_list_column) %}
    {% set listed = ref(work_list) %}
    {% if is_incremental() %}
        delete from {{ this }}
        where {{ column }} in (select touched.{{ work_list_column }} from {{ listed }} as touched)
    {% endif %}
{% endmacro %}

{#- Filter: the source rows whose `column` is in `work_list`'s `work_list_column` (every row when not incremental). -#}
{% macro in_listed(column, work_list, work_list_column) %}
    {%- set listed = ref(work_list) -%}
    {%- if is_incremental() -%}
        {{ column }} in (select touched.{{ work_list_column }} from {{ listed }} as touched)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The day-level marts: the reporting days int_periods_touched names (the days of every event this build
    re-sessionized, before and after, and of every session an order moved to or from). The daily marts' shared
    pre-hook (dbt_project.yml, models/marts/daily/) gives no column: the model's meta touched_day_column names it. -#}
{% macro delete_touched_days(day_column=none) %}
    {%- if day_column is none -%}
        {%- set day_column = (config.get('meta') or {}).get('touched_day_column') -%}
    {%- endif -%}
    {{ delete_listed(day_column, 'int_periods_touched', 'event_date') }}
{% endmacro %}

{#- Pre-hook of a day-level mart whose rows depend on earlier days (acquisition_visitor_days: a visitor's previous
    day): delete its rows from the first day int_periods_touched names on, every later day included, since a day
    rebuilt can change what any later row says. EXISTS rather than min(): one form for every engine. -#}
{% macro delete_from_first_touched_day(day_column) %}
    {% set listed = ref('int_periods_touched') %}
    {% if is_incremental() %}
        delete from {{ this }} as target
        where exists (
            select 1 from {{ listed }} as touched
            where touched.event_date <= target.{{ day_column }}
        )
    {% endif %}
{% endmacro %}

{% macro in_touched_days(day_column) %}
    {{- in_listed(day_column, 'int_periods_touched', 'event_date') -}}
{% endmacro %}

{#- Crash safety (docs/metrics.md, "Incremental strategy"). A build writes its work lists early and applies them in
    the models after; a build killed or failed in between leaves models that never applied them, while the
    watermarks the lists are derived from (int_events_sessionized's newest staged_at, the published marts' state
    before the build) have already moved on. So every work list carries the build that wrote it (build_id, dbt's
    invocation_id), int_build_completed names the last build whose every model ran, and a work list written by any
    other build is unfinished: the next build lists its rows again beside its own. Carried over several killed
    builds in turn, the rows keep the newest build's id, so nothing is dropped until a build completes.

    Returns the work list's table when its rows are unfinished, else none (a first build, a full refresh, or the
    last build completed). A table written before work lists carried a build id (no build_id column) reads as null;
    with no int_build_completed yet either, that is no unfinished work. -#}
{% macro unfinished_work_list(identifier) %}
    {% if flags.FULL_REFRESH or not execute %}
        {% do return(none) %}
    {% endif %}
    {% set previous = published_relation('intermediate', identifier) %}
    {% if previous is none %}
        {% do return(none) %}
    {% endif %}
    {% set completed = published_relation('intermediate', 'int_build_completed') %}
    {% set has_build_id = 'build_id' in adapter.get_columns_in_relation(previous) | map(attribute='name') | list %}
    {#- Every row of a list carries the same build_id: one row tells (a list after a full refresh has them all). -#}
    {% set unfinished_query %}
        select exists (
            select 1
            from (
                select {{ 'previous.build_id' if has_build_id else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as build_id
                from {{ previous }} as previous
                limit 1
            ) as listed
            where listed.build_id is distinct from
                {% if completed is none -%}
                    null
                {%- else -%}
                    (select max(completed.build_id) from {{ completed }} as completed)
                {%- endif %}
        )
    {% endset %}
    {% do return(previous if run_query(unfinished_query).columns[0].values()[0] else none) %}
{% endmacro %}
