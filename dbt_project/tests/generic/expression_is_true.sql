{#- Every row satisfies a SQL boolean expression over its columns (a row where it is null passes, as in dbt_utils:
    write "x is not null and …" to refuse nulls too). -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
