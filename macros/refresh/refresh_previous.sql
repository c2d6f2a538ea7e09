{#- The relation a model left in the work database at the previous build (read before that model is rebuilt in this
    one: a base_*_refresh model runs before the staging model it serves), or none when there is none. Looked up by
    the model's name in the graph, not by ref(): the staging model depends on the refresh model, not the reverse. -#}
{% macro refresh_previous(model_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error('refresh_previous: no model ' ~ model_name) }}
    {%- endif -%}
    {{ return(adapter.get_relation(node.database, node.schema, node.alias or node.name)) }}
{%- endmacro %}
