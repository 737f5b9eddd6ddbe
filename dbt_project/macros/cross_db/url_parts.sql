{#- Parts of a URL, for channel attribution and page paths. dbt has no built-in for these and hub packages are not
    available here. Written with regex_capture (macros/cross_db/regex.sql), so each engine gets its own regex
    function; an empty part reads as none everywhere. -#}

{% macro url_host(url) -%}
    lower({{ regex_capture(url, "'^[A-Za-z][A-Za-z0-9+.-]*://([^/?#:@]+)'") }})
{%- endmacro %}

{% macro url_path(url) -%}
    coalesce(nullif({{ regex_capture(url, "'^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(/[^?#]*)'") }}, ''), '/')
{%- endmacro %}

{#- The value of one query parameter, lower-cased, with '+' and the commonest %-escapes undone. -#}
{% macro url_parameter(url, name) -%}
    nullif(
        lower(
            replace(replace(replace(replace(
                {{ regex_capture(url, "'[?&]" ~ name ~ "=([^&#]*)'") }},
                '+', ' '), '%20', ' '), '%2F', '/'), '%2f', '/')
        ),
        ''
    )
{%- endmacro %}
