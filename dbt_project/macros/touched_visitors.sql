{#- The visitors this build re-sessionized (int_visitors_touched), as a subquery: every visitor on a first build or
    a full refresh. Read by name rather than ref() so a data test can use it without a dependency of its own. -#}
{% macro touched_visitors() -%}
    {%- set touched = api.Relation.create(
        database=target.get('database'),
        schema=var('schema_prefix', '') ~ 'intermediate',
        identifier='int_visitors_touched',
    ) -%}
    (select touched.visitor_id from {{ touched }} as touched)
{%- endmacro %}


{#- dbt wraps the model of every generic data test in this subquery (the test's `where` config, dbt's own behaviour).
    On top of that, the tests of the event- and session-grain tables named by var tests_scoped_to_touched_visitors
    check only the rows this build wrote: the touched visitors' rows, or for staging (tested before the visitors
    are worked out) the rows the newest build staged. A first build or a full refresh writes every row, so every
    row is tested then; an hourly build tests its hour's share instead of the whole history, which the builds
    before it tested. The keys these tests check are also unique indexes of the tables, so a duplicate outside
    the tested rows cannot be written in the first place. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append(config.get('where')) -%}
    {%- endif -%}
    {%- set scoped = var('tests_scoped_to_touched_visitors', {}) -%}
    {%- if relation.identifier in scoped -%}
        {%- if scoped[relation.identifier] == 'newest_staged' -%}
            {#- A constant, not a subquery: staged_at has a few distinct values (one per build), so the planner would
                estimate `= (subquery)` as a large share of the table and read all of it. -#}
            {%- set newest_query = 'select ' ~ timestamptz_as_text('max(staged_at)') ~ ' from ' ~ relation -%}
            {#- (No table yet, as when compiling before a first build: nothing to scope.) -#}
            {%- set exists = execute and load_relation(relation) is not none -%}
            {%- set newest = run_query(newest_query).columns[0].values()[0] if exists else none -%}
            {%- do conditions.append('staged_at = ' ~ cast_to_timestamptz("'" ~ newest ~ "'") if newest else 'true') -%}
        {%- else -%}
            {%- do conditions.append('visitor_id in ' ~ touched_visitors()) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {% do return(filtered) %}
    {%- else -%}
        {% do return(relation) %}
    {%- endif -%}
{%- endmacro %}
