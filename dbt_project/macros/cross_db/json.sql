{#- Reads from a raw JSON payload (cross-database: docs/scaling.md). PostgreSQL (the default) holds it as JSONB;
    Spark as a VARIANT (parse_json of the raw line); Athena (Trino) as JSON. Every read is typed and never fails the
    build: a value of the wrong JSON type is null, not an error (the ingest validates types, but raw rows from
    elsewhere must not stop the warehouse).

    `path` is where in the payload: a dotted string of keys ('product.id'), or a list of keys and array indexes
    (['errors', 0, 'path']). -#}

{% macro json_path_steps(path) -%}
    {{ return(path.split('.') if path is string else path) }}
{%- endmacro %}

{#- The JSONPath of `path` ($.errors[0].path), for the engines that address JSON that way. -#}
{% macro json_jsonpath(path) -%}
    {%- set text = namespace(value='$') -%}
    {%- for step in json_path_steps(path) -%}
        {%- set text.value = text.value ~ ('[' ~ step ~ ']' if step is number else '.' ~ step) -%}
    {%- endfor -%}
    {{ return(text.value) }}
{%- endmacro %}


{#- The JSON value at `path` (JSON null when absent), untyped: what the typed reads below test and convert. -#}
{% macro json_get(payload, path) -%}
    {{ return(adapter.dispatch('json_get', 'clickstream_warehouse')(payload, path)) }}
{%- endmacro %}

{% macro default__json_get(payload, path) -%}
    {{ payload }}
    {%- for step in json_path_steps(path) %} -> {{ step if step is number else "'" ~ step ~ "'" }}{% endfor -%}
{%- endmacro %}

{% macro spark__json_get(payload, path) -%}
    variant_get({{ payload }}, '{{ json_jsonpath(path) }}')
{%- endmacro %}

{% macro athena__json_get(payload, path) -%}
    json_extract({{ payload }}, '{{ json_jsonpath(path) }}')
{%- endmacro %}


{#- The JSON type of a value: 'string', 'number', 'boolean', 'object', 'array' or 'null'. -#}
{% macro json_type(value) -%}
    {{ return(adapter.dispatch('json_type', 'clickstream_warehouse')(value)) }}
{%- endmacro %}

{% macro default__json_type(value) -%}
    jsonb_typeof({{ value }})
{%- endmacro %}

{#- schema_of_variant names Spark types (STRING, BIGINT, DECIMAL(3,1), DOUBLE, BOOLEAN, OBJECT<…>, ARRAY<…>, VOID). -#}
{% macro spark__json_type(value) -%}
    case
        when schema_of_variant({{ value }}) = 'STRING' then 'string'
        when schema_of_variant({{ value }}) = 'BOOLEAN' then 'boolean'
        when schema_of_variant({{ value }}) like 'OBJECT%' then 'object'
        when schema_of_variant({{ value }}) like 'ARRAY%' then 'array'
        when schema_of_variant({{ value }}) in ('BIGINT', 'DOUBLE', 'FLOAT', 'INT', 'SMALLINT', 'TINYINT')
            or schema_of_variant({{ value }}) like 'DECIMAL%' then 'number'
        else 'null'
    end
{%- endmacro %}

{#- Trino has no JSON type test: the serialised value's first character tells. -#}
{% macro athena__json_type(value) -%}
    case substr(json_format({{ value }}), 1, 1)
        when '"' then 'string'
        when '{' then 'object'
        when '[' then 'array'
        when 't' then 'boolean'
        when 'f' then 'boolean'
        when 'n' then 'null'
        else 'number'
    end
{%- endmacro %}


{#- A JSON string's text (unquoted). -#}
{% macro json_string_value(value) -%}
    {{ return(adapter.dispatch('json_string_value', 'clickstream_warehouse')(value)) }}
{%- endmacro %}

{% macro default__json_string_value(value) -%}
    {{ value }} #>> '{}'
{%- endmacro %}

{% macro spark__json_string_value(value) -%}
    variant_get({{ value }}, '$', 'string')
{%- endmacro %}

{% macro athena__json_string_value(value) -%}
    cast({{ value }} as varchar)
{%- endmacro %}


{#- A JSON value converted to a SQL type (numeric, boolean), once its JSON type is known to fit. -#}
{% macro json_scalar_as(value, sql_type) -%}
    {{ return(adapter.dispatch('json_scalar_as', 'clickstream_warehouse')(value, sql_type)) }}
{%- endmacro %}

{% macro default__json_scalar_as(value, sql_type) -%}
    ({{ value }})::{{ sql_type }}
{%- endmacro %}

{#- Spark's bare decimal is decimal(10,0): numbers keep 9 decimals there. -#}
{% macro spark__json_scalar_as(value, sql_type) -%}
    variant_get({{ value }}, '$', '{{ "decimal(38, 9)" if sql_type == "numeric" else sql_type }}')
{%- endmacro %}

{% macro athena__json_scalar_as(value, sql_type) -%}
    cast({{ value }} as {{ 'decimal(38, 9)' if sql_type == 'numeric' else sql_type }})
{%- endmacro %}


{#- The typed reads the models use. -#}
{% macro json_text(payload, path) -%}
    {%- set value = json_get(payload, path) -%}
    case when {{ json_type(value) }} = 'string' then {{ json_string_value(value) }} end
{%- endmacro %}

{% macro json_number(payload, path) -%}
    {%- set value = json_get(payload, path) -%}
    case when {{ json_type(value) }} = 'number' then {{ json_scalar_as(value, 'numeric') }} end
{%- endmacro %}

{% macro json_boolean(payload, path) -%}
    {%- set value = json_get(payload, path) -%}
    case when {{ json_type(value) }} = 'boolean' then {{ json_scalar_as(value, 'boolean') }} end
{%- endmacro %}

{#- The ingest writes UTC ISO-8601 with milliseconds; anything else is null. That stored format has one home,
    raw_store/times.py (STORED_TIME_PATTERN); tests/raw_store/test_times.py checks that this pattern accepts it. -#}
{% macro stored_time_pattern() -%}
    ^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$
{%- endmacro %}

{% macro json_timestamp(payload, path) -%}
    {%- set value = json_get(payload, path) -%}
    case
        when {{ json_type(value) }} = 'string'
            and {{ regex_matches(json_string_value(value), "'" ~ stored_time_pattern() ~ "'") }}
            then {{ cast_to_timestamptz(json_string_value(value)) }}
    end
{%- endmacro %}

{#- The value (a JSON object or array) when it is one, else null. -#}
{% macro json_object(payload, path) -%}
    {%- set value = json_get(payload, path) -%}
    case when {{ json_type(value) }} = 'object' then {{ value }} end
{%- endmacro %}

{% macro json_array(payload, path) -%}
    {%- set value = json_get(payload, path) -%}
    case when {{ json_type(value) }} = 'array' then {{ value }} end
{%- endmacro %}


{#- The number of elements of the array at `path`; 0 when it is no array. -#}
{% macro json_array_size(payload, path) -%}
    {%- set value = json_get(payload, path) -%}
    case when {{ json_type(value) }} = 'array' then {{ adapter.dispatch('json_array_length', 'clickstream_warehouse')(value) }} else 0 end
{%- endmacro %}

{% macro default__json_array_length(value) -%}
    jsonb_array_length({{ value }})
{%- endmacro %}

{% macro spark__json_array_length(value) -%}
    size(cast({{ value }} as array<variant>))
{%- endmacro %}

{% macro athena__json_array_length(value) -%}
    json_array_length({{ value }})
{%- endmacro %}


{#- Whether the payload's top-level object has the key (whatever its value, null included). -#}
{% macro json_has_key(payload, key) -%}
    {{ return(adapter.dispatch('json_has_key', 'clickstream_warehouse')(payload, key)) }}
{%- endmacro %}

{% macro default__json_has_key(payload, key) -%}
    {{ payload }} ? '{{ key }}'
{%- endmacro %}

{% macro spark__json_has_key(payload, key) -%}
    array_contains(map_keys(cast({{ payload }} as map<string, variant>)), '{{ key }}')
{%- endmacro %}

{% macro athena__json_has_key(payload, key) -%}
    contains(map_keys(cast({{ payload }} as map(varchar, json))), '{{ key }}')
{%- endmacro %}


{#- A join to write after `from <relation>`: one row per element of the JSON array `array_expr` (rows without an
    array add none), each element as `alias.column`. -#}
{% macro join_json_array_elements(array_expr, alias, column) -%}
    {{ return(adapter.dispatch('join_json_array_elements', 'clickstream_warehouse')(array_expr, alias, column)) }}
{%- endmacro %}

{% macro default__join_json_array_elements(array_expr, alias, column) -%}
    cross join lateral jsonb_array_elements({{ array_expr }}) as {{ alias }} ({{ column }})
{%- endmacro %}

{% macro spark__join_json_array_elements(array_expr, alias, column) -%}
    lateral view explode(cast({{ array_expr }} as array<variant>)) {{ alias }} as {{ column }}
{%- endmacro %}

{% macro athena__join_json_array_elements(array_expr, alias, column) -%}
    cross join unnest(cast({{ array_expr }} as array(json))) as {{ alias }} ({{ column }})
{%- endmacro %}
