{#- Optional event fields carried from the raw event to clickstream_events and sessions by naming them in
    dbt_project.yml's var event_passthroughs (docs/event-contract.md, "Adding an event field"). Each entry:
      name     the column, snake_case (a new name: not one of the models' own columns);
      type     text, numeric, boolean or timestamp (read as the json_values macros do: a value of another JSON type
               is null, never an error);
      path     where the raw event holds it, dotted (default `properties.<name>`: free-form data needs no change of
               the ingest contract; a top-level field of the contract is e.g. `coupon` or `order.coupon`);
      session  first or last: sessions carries the session's first (last) non-null value; left out, the field
               reaches clickstream_events only.
    The marts' contracts list these columns in a generated block (`clickstream generate-files`). -#}

{% macro event_passthroughs() -%}
    {%- set types = {
        'text': ('json_text', dbt.type_string()),
        'numeric': ('json_number', 'numeric'),
        'boolean': ('json_boolean', 'boolean'),
        'timestamp': ('json_timestamp', type_timestamptz()),
    } -%}
    {%- set passthroughs = [] -%}
    {%- for entry in var('event_passthroughs', []) -%}
        {%- if entry.name is not string or not modules.re.match('^[a-z][a-z0-9_]*$', entry.name) -%}
            {{ exceptions.raise_compiler_error('event_passthroughs: name must be snake_case, got ' ~ entry.name) }}
        {%- endif -%}
        {%- if entry.get('type', 'text') not in types -%}
            {{ exceptions.raise_compiler_error('event_passthroughs: ' ~ entry.name ~ ': type must be one of '
                ~ types.keys() | list | join(', ')) }}
        {%- endif -%}
        {%- if entry.get('session') not in [none, 'first', 'last'] -%}
            {{ exceptions.raise_compiler_error('event_passthroughs: ' ~ entry.name ~ ': session is first or last') }}
        {%- endif -%}
        {%- set path = entry.get('path', 'properties.' ~ entry.name) -%}
        {%- set kind = types[entry.get('type', 'text')] -%}
        {%- do passthroughs.append({
            'name': entry.name,
            'reader': kind[0],
            'sql_type': kind[1],
            'path': path,
            'session': entry.get('session'),
        }) -%}
    {%- endfor -%}
    {{ return(passthroughs) }}
{%- endmacro %}


{#- Staging: each passthrough read from the raw payload, as `<read> as <name>,` lines. -#}
{% macro event_passthrough_reads(payload='payload') -%}
    {%- for field in event_passthroughs() %}
        {% if field.reader == 'json_text' -%}
            {{ json_text(payload, field.path) }}
        {%- elif field.reader == 'json_number' -%}
            {{ json_number(payload, field.path) }}
        {%- elif field.reader == 'json_boolean' -%}
            {{ json_boolean(payload, field.path) }}
        {%- else -%}
            {{ json_timestamp(payload, field.path) }}
        {%- endif %} as {{ field.name }},
    {%- endfor -%}
{%- endmacro %}


{#- The passthrough columns of a model reading a table that has them, as `<relation>.<name>,` lines (unqualified
    when relation is none, as a single-table select writes them; with a cast to the column's type, for a contract;
    only those sessions carries, for sessions). -#}
{% macro event_passthrough_columns(relation=none, cast=false, sessions=false) -%}
    {%- for field in event_passthroughs() if field.session or not sessions %}
        {% if cast %}cast({{ relation ~ '.' if relation }}{{ field.name }} as {{ field.sql_type }}){% else -%}
            {{ relation ~ '.' if relation }}{{ field.name }}{% endif %} as {{ field.name }},
    {%- endfor -%}
{%- endmacro %}


{#- sessions: the session's first or last non-null value of each passthrough that asks for it. -#}
{% macro session_passthrough_aggregates() -%}
    {%- for field in event_passthroughs() if field.session %}
        {{ first_by(
            field.name,
            ['event_timestamp', 'event_id'],
            descending=field.session == 'last',
            condition=field.name ~ ' is not null',
        ) }} as {{ field.name }},
    {%- endfor -%}
{%- endmacro %}

