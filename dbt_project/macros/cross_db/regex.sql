{#- Regular expressions (cross-database: docs/scaling.md). The patterns are POSIX-style as PostgreSQL reads them;
    the ones the project writes (\d, classes, anchors, groups) read alike in Java's (Spark) and RE2/Joni (Trino). A
    pattern is a SQL expression: a quoted literal, or a column (the seeds' patterns). -#}

{#- Whether `value` matches `pattern` anywhere (null when value is null). -#}
{% macro regex_matches(value, pattern, case_insensitive=false) -%}
    {{ return(adapter.dispatch('regex_matches', 'clickstream_warehouse')(value, pattern, case_insensitive)) }}
{%- endmacro %}

{% macro default__regex_matches(value, pattern, case_insensitive) -%}
    ({{ value }}) {{ '~*' if case_insensitive else '~' }} {{ pattern }}
{%- endmacro %}

{#- Spark reads backslashes in string literals as escapes: a literal pattern's are doubled. -#}
{% macro spark__regex_matches(value, pattern, case_insensitive) -%}
    {%- set pattern = pattern.replace('\\', '\\\\') if pattern.startswith("'") else pattern -%}
    ({{ value }}) rlike {{ "concat('(?i)', " ~ pattern ~ ")" if case_insensitive else pattern }}
{%- endmacro %}

{% macro athena__regex_matches(value, pattern, case_insensitive) -%}
    regexp_like({{ value }}, {{ "concat('(?i)', " ~ pattern ~ ")" if case_insensitive else pattern }})
{%- endmacro %}


{#- The text of the first capture group of `pattern` (a literal) in `value`, or null when it does not match. -#}
{% macro regex_capture(value, pattern) -%}
    {{ return(adapter.dispatch('regex_capture', 'clickstream_warehouse')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_capture(value, pattern) -%}
    substring({{ value }} from {{ pattern }})
{%- endmacro %}

{#- regexp_extract answers '' for no match: a group that matched nothing is null here too (the URL macros, the only
    callers, treat an empty part as none). -#}
{% macro spark__regex_capture(value, pattern) -%}
    nullif(regexp_extract({{ value }}, {{ pattern.replace('\\', '\\\\') }}, 1), '')
{%- endmacro %}

{% macro athena__regex_capture(value, pattern) -%}
    regexp_extract({{ value }}, {{ pattern }}, 1)
{%- endmacro %}
