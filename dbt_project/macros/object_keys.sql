{#- The UTC hour a raw object's key names (events|rejected|compacted/YYYY/MM/DD/HH/…, raw_store/keys.py), or null
    for a key outside that layout. The marts need it for an object the loader rejected whole: it has no manifest
    row, so no object_hour. -#}
{% macro s3_key_hour(key) -%}
    regexp_replace(
        substring({{ key }} from '^(?:events|rejected|compacted)/(\d{4}/\d\d/\d\d/\d\d)/'),
        '^(\d{4})/(\d\d)/(\d\d)/(\d\d)$',
        '\1-\2-\3 \4:00:00+00'
    )::timestamptz
{%- endmacro %}
