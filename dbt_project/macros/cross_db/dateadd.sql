{#- dbt's own dateadd on Spark (dbt-spark's spark__dateadd), replaced for this project through dbt_project.yml's
    `dispatch` search order: dbt-spark's goes through unix seconds (dropping the milliseconds the session gap is
    measured in) and raises on a null timestamp (the first event of a visitor has no previous one). timestampadd
    keeps microseconds and answers null for null. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart | upper }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}
