{#-
    One unit of `currency` in reporting_currency on the day `on_date`, as a lateral join named `alias` with one column
    `rate`: 1 for reporting_currency itself, else the latest currency_rates row from on or before that day; no row
    (so a null rate, the amount never added to others as if it were reporting_currency) when the seed has none.
    The tracked orders (int_orders_deduplicated) and the shop's (shop_orders) convert with it.
-#}
{% macro join_reporting_rate(currency, on_date, alias='rates') -%}
    left join lateral (
        select 1::numeric as rate
        where {{ currency }} = '{{ var("reporting_currency") }}'
        union all
        (
            select currency_rates.rate
            from {{ ref('currency_rates') }} as currency_rates
            where
                {{ currency }} != '{{ var("reporting_currency") }}'
                and currency_rates.currency = {{ currency }}
                and currency_rates.valid_from <= {{ on_date }}
            order by currency_rates.valid_from desc
            limit 1
        )
    ) as {{ alias }} on true
{%- endmacro %}
