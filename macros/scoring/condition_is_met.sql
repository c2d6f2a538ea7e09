{#- A structured condition `<value> <operator> <rule value>` as a boolean SQL expression, for points rules and
    MQL rules: the operator is matched against a fixed list, never spliced into SQL, so a rule cannot inject SQL.
    Numbers compare with rule_number (the rule value as a number); texts with rule_value; `in` / `not_in` take a
    '|'-separated list. An unknown operator or a NULL value gives NULL (not met). -#}
{% macro condition_is_met(value_number, value_text, operator, rule_number, rule_value) -%}
    case
        when {{ value_number }} is not null
            then
                case {{ operator }}
                    when '=' then {{ value_number }} = {{ rule_number }}
                    when '!=' then {{ value_number }} <> {{ rule_number }}
                    when '<' then {{ value_number }} < {{ rule_number }}
                    when '<=' then {{ value_number }} <= {{ rule_number }}
                    when '>' then {{ value_number }} > {{ rule_number }}
                    when '>=' then {{ value_number }} >= {{ rule_number }}
                end
        when {{ value_text }} is not null
            then
                case {{ operator }}
                    when '=' then {{ value_text }} = {{ rule_value }}
                    when '!=' then {{ value_text }} <> {{ rule_value }}
                    when 'in' then '|' || {{ rule_value }} || '|' like '%|' || {{ value_text }} || '|%'
                    when 'not_in' then '|' || {{ rule_value }} || '|' not like '%|' || {{ value_text }} || '|%'
                end
    end
{%- endmacro %}
