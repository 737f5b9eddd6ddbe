{#- A model's table as the last build left it (none before the first build). The work-list models read tables that
    depend on them, to know their state before this build rebuilds them, so they read them by name, not by ref(). -#}
{% macro published_relation(schema, identifier) %}
    {% do return(adapter.get_relation(
        database=target.get('database'),
        schema=var('schema_prefix', '') ~ schema,
        identifier=identifier,
    )) %}
{% endmacro %}
