-- The last build whose every model ran: one row, written after every mart (so after every model that applies a
-- work list). A build killed or failed before it leaves the build id of the last completed build here, unlike
-- the build_id of the work lists it wrote, and the next build lists their rows again (macros/work_lists.sql).
-- dbt skips this model when a model before it failed or its data tests failed, so that case redoes them too.

-- depends_on: {{ ref('clickstream_events') }}
-- depends_on: {{ ref('sessions') }}
-- depends_on: {{ ref('users') }}
-- depends_on: {{ ref('traffic_daily') }}
-- depends_on: {{ ref('acquisition_daily') }}
-- depends_on: {{ ref('funnel_steps_daily') }}
-- depends_on: {{ ref('page_transitions_daily') }}
-- depends_on: {{ ref('product_performance_daily') }}
-- depends_on: {{ ref('sessions_daily') }}
-- depends_on: {{ ref('visitors_daily') }}
-- depends_on: {{ ref('visitor_activity_weekly') }}
-- depends_on: {{ ref('retention_weekly') }}
-- depends_on: {{ ref('pipeline_health_hourly') }}

select
    '{{ invocation_id }}'::text as build_id,
    current_timestamp as completed_at
