{#- One bin's term of the population stability index of a distribution (actual: this period's share of entities in
    the bin, 0-1) against a reference (expected: the previous period's share): (actual - expected) * ln(actual /
    expected). The index is the sum of the terms over every bin of a fixed set (shares of a period sum to 1). A share
    that is 0 or NULL (an empty bin) counts as `epsilon` (default 0.0001, one entity in 10,000) so that the logarithm
    is defined; a bin empty in both periods adds exactly 0. An 8-byte float SQL expression. -#}
{% macro population_stability_index_term(actual_share, expected_share, epsilon=0.0001) -%}
    {{ return(adapter.dispatch('population_stability_index_term', 'customer_scoring')(
        actual_share, expected_share, epsilon)) }}
{%- endmacro %}

{% macro default__population_stability_index_term(actual_share, expected_share, epsilon) -%}
    {%- set eps = 'cast(' ~ epsilon ~ ' as ' ~ type_double() ~ ')' -%}
    {%- set actual = 'coalesce(cast(nullif(' ~ actual_share ~ ', 0) as ' ~ type_double() ~ '), ' ~ eps ~ ')' -%}
    {%- set expected = 'coalesce(cast(nullif(' ~ expected_share ~ ', 0) as ' ~ type_double() ~ '), ' ~ eps ~ ')' -%}
    (({{ actual }} - {{ expected }}) * ln({{ actual }} / {{ expected }}))
{%- endmacro %}
