{#-
    A rate of the var `rates` (dbt_project.yml, docs/metrics.md): its numerator over its denominator, aggregated
    over the rows in scope, null when the denominator is 0. The dashboard writes the same expression from the same
    var (dashboard/rates.py, generated), so a rate has one definition wherever it is computed.
-#}
{% macro rate(name, digits=4) -%}
    {%- set definition = var('rates')[name] -%}
    round(({{ definition.numerator }})::numeric / nullif({{ definition.denominator }}, 0), {{ digits }})
{%- endmacro %}
