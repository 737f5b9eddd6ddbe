{#- Sorted UTC hours ('YYYY-MM-DD HH:00:00' strings) merged into [start, end) ranges of consecutive hours, so a
    backfill of a thousand hours is one range, not a thousand. -#}
{% macro hour_ranges(hours) -%}
    {%- set ranges = [] -%}
    {%- for hour in hours | sort -%}
        {%- set start = modules.datetime.datetime.strptime(hour, '%Y-%m-%d %H:%M:%S') -%}
        {%- set end = start + modules.datetime.timedelta(hours=1) -%}
        {%- if ranges and ranges[-1][1] >= start -%}
            {%- set previous_end = ranges[-1].pop() -%}
            {%- do ranges[-1].append([previous_end, end] | max) -%}
        {%- else -%}
            {%- do ranges.append([start, end]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ranges) }}
{%- endmacro %}


{#- A predicate: the timestamptz column lies in one of the [start, end) UTC ranges; false when there are none.
    Constants, so the planner prunes partitions and uses indexes on the column. -#}
{% macro in_time_ranges(column, ranges) -%}
    {%- if ranges | length == 0 -%}
        false
    {%- else -%}
        (
            {%- for range in ranges %}
                {{ 'or ' if not loop.first }}({{ column }} >= '{{ range[0] }}+00' and {{ column }} < '{{ range[1] }}+00')
            {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}
