{#- Parts of a URL, for channel attribution and page paths. dbt has no built-in for these and hub packages are not
    available here, so they are dispatched like dbt's own cross-database macros. -#}

{% macro url_host(url) -%}
    {{ return(adapter.dispatch('url_host', 'clickstream_warehouse')(url)) }}
{%- endmacro %}

{% macro default__url_host(url) -%}
    lower(substring({{ url }} from '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#:@]+)'))
{%- endmacro %}


{% macro url_path(url) -%}
    {{ return(adapter.dispatch('url_path', 'clickstream_warehouse')(url)) }}
{%- endmacro %}

{% macro default__url_path(url) -%}
    coalesce(nullif(substring({{ url }} from '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(/[^?#]*)'), ''), '/')
{%- endmacro %}


{#- The value of one query parameter, lower-cased, with '+' and the commonest %-escapes undone. -#}
{% macro url_parameter(url, name) -%}
    {{ return(adapter.dispatch('url_parameter', 'clickstream_warehouse')(url, name)) }}
{%- endmacro %}

{% macro default__url_parameter(url, name) -%}
    nullif(
        lower(
            replace(replace(replace(replace(
                substring({{ url }} from '[?&]{{ name }}=([^&#]*)'),
                '+', ' '), '%20', ' '), '%2F', '/'), '%2f', '/')
        ),
        ''
    )
{%- endmacro %}
