{#- Typed reads from a JSONB payload that never fail the build: a value of the wrong JSON type is null, not an
    error (the ingest validates types, but raw rows from elsewhere must not stop the warehouse). -#}

{% macro json_text(expr) -%}
    case when jsonb_typeof({{ expr }}) = 'string' then {{ expr }} #>> '{}' end
{%- endmacro %}

{% macro json_number(expr) -%}
    case when jsonb_typeof({{ expr }}) = 'number' then ({{ expr }})::numeric end
{%- endmacro %}

{% macro json_boolean(expr) -%}
    case when jsonb_typeof({{ expr }}) = 'boolean' then ({{ expr }})::boolean end
{%- endmacro %}

{#- The ingest writes UTC ISO-8601 with milliseconds; anything else is null. That stored format has one home,
    raw_store/times.py (STORED_TIME_PATTERN); tests/raw_store/test_times.py checks this regex accepts it. -#}
{% macro json_timestamp(expr) -%}
    case
        when jsonb_typeof({{ expr }}) = 'string'
            and ({{ expr }} #>> '{}') ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$'
            then ({{ expr }} #>> '{}')::timestamptz
    end
{%- endmacro %}
