{#- The marts leave bots out unless include_bots is true: `not <is_bot>`, or true when bots are included. -#}
{% macro not_bot(is_bot='is_bot') -%}
    {{ 'true' if var('include_bots') else 'not ' ~ is_bot }}
{%- endmacro %}
