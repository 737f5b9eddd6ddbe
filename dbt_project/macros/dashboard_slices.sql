{#
    The slice columns sessions_daily and visitors_daily share, from a marts.sessions row: the same values in both,
    so a filter or a grouping means the same in the dashboard's sums and in its distinct users.
#}
{% macro dashboard_slice_columns() %}
    coalesce(device_type, '(not set)') as device_type,
    coalesce(channel, '(not set)') as channel,
    coalesce(referrer_host, '(none)') as referrer_host,
    -- A session without any UTM parameter is one "(not set)" row, not "(not set) / (not set) / (not set)".
    case
        when utm_source is null and utm_medium is null and utm_campaign is null then '(not set)'
        else concat_ws(
            ' / ',
            coalesce(lower(utm_source), '(not set)'),
            coalesce(lower(utm_medium), '(not set)'),
            coalesce(lower(utm_campaign), '(not set)')
        )
    end as campaign,
    coalesce(country, '(not set)') as country
{% endmacro %}
