-- The last build whose every model ran: one row, written after every mart (so after every model that applies a
-- work list). A build killed or failed before it leaves the build id of the last completed build here, unlike
-- the build_id of the work lists it wrote, and the next build lists their rows again (macros/work_lists.sql).
-- dbt skips this model when a model before it failed or its data tests failed, so that case redoes them too.

{#- Every mart, ref()'d so dbt runs this model last. dbt's parser cannot list a folder's models (`graph` is empty
    while parsing), so they are named here; tests/dbt_project/test_dag.py fails when a mart is missing. -#}
{% set marts = [
    'clickstream_events',
    'sessions',
    'users',
    'orders',
    'funnel_steps_daily',
    'page_transitions_daily',
    'product_performance_daily',
    'sessions_daily',
    'visitors_daily',
    'landing_exit_pages_daily',
    'users_daily',
    'acquisition_visitor_days',
    'visitor_activity_weekly',
    'retention_weekly',
    'pipeline_health_hourly',
    'ingest_refusals_hourly',
    'shop_orders',
    'order_reconciliation',
    'tracking_coverage_daily',
    'product_margin_daily',
] %}
{% for mart in marts %}
    {% do ref(mart) %}
{% endfor %}

select
    cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as build_id,
    current_timestamp as completed_at
