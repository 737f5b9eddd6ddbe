{#- The columns together identify a row: no combination of their values appears twice (nulls compare equal here,
    so pair it with not_null on each column). dbt_utils has the same test; hub packages are not available. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

duplicates as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as rows_with_these_values
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

)

select * from duplicates

{% endtest %}
