{#- The generic checks of a configuration validation model (int_scoring__config_errors, int_activation__config_errors),
    generated from its rules seed (scoring_config_checks, activation_config_checks: one row per check; D94).

    Renders, for the model's `with`, one CTE per validated seed (the seed's columns, plus config_table = the seed name
    and row_key = the 'column=value' pairs of its key rule) and then the CTE config_check_problems (config_table,
    row_key, problem): one row per seed row breaking a rule, and one per malformed rule row, named as a row of the rules
    seed. Every CTE ends with a comma: the model's own CTEs follow.

    The rules are read when the model compiles (run_query under `execute`): ref() makes the model depend on the rules
    seed, so dbt has built it by then. The columns of the seeds are read from the built seeds (to reject a rule naming
    an unknown column, and to write numbers without trailing zeros), also in a unit test, whose fixtures have the same
    columns. When a seed is not built (dbt compile or sqlfluff on an empty database), the CTEs are still rendered and
    config_check_problems says so.

    rules_seed: the rules seed. sources: {seed: CTE name}, the seeds the model validates (a rule naming another seed is
    malformed). lookups: {CTE: [columns]}, the model's own CTEs that a reference rule may name (defined before the
    call), e.g. the criteria the project computes. -#}
{% macro config_checks(rules_seed, sources, lookups={}) %}
    {%- set string = dbt.type_string() %}
    {#- what each check kind's message may say, and what it says when the rule gives no message -#}
    {%- set placeholders = {
        'key': ['count'],
        'required': ['column'],
        'whole_number': ['column', 'value', 'minimum'],
        'range': ['column', 'value', 'min', 'max'],
        'identifier': ['column', 'value'],
        'distinct': ['column', 'value', 'other'],
        'accepted_values': ['column', 'value', 'quoted', 'allowed'],
        'reference': ['column', 'value', 'quoted', 'target'],
    } %}
    {%- set defaults = {
        'key': 'defined {count} times',
        'required': '{column} is empty',
        'whole_number': '{column} must be a whole number, {minimum} or more, got {value}',
        'range': '{column} must be a number from {min} to {max}, got {value}',
        'identifier': '{column} is an identifier: a-z, then a-z, 0-9 or _, at most 63 characters',
        'distinct': '{column} {value} is also that of {other}',
        'accepted_values': '{column} must be {allowed}, got {value}',
        'reference': 'unknown {column} (not in {target})',
    } %}
    {#- a number as text without trailing zeros (0.5, 30): replace @ with the expression -#}
    {%- set number_text = "trim(trailing '.' from trim(trailing '0' from cast(cast(@ as decimal(18, 6)) as "
        ~ string ~ ")))" %}
    {%- set as_text = 'cast(@ as ' ~ string ~ ')' %}
    {%- set number_type = '^(decimal|numeric|int|integer|bigint|smallint|tinyint|hugeint|double|float|real)' %}

    {#- ref() at parse time too: dbt then orders the model after the rules seed and the validated seeds -#}
    {%- set relations = {rules_seed: ref(rules_seed)} %}
    {%- for seed in sources %}
        {%- do relations.update({seed: ref(seed)}) %}
    {%- endfor %}

    {#- the built seeds and their columns, {column: the column as text, @ standing for it}, found through the seeds'
        nodes; a unit test has no graph (and its ref() names the fixture): the seeds' schema (dbt_project.yml) then -#}
    {%- set built = {} %}
    {%- set columns = {} %}
    {%- if execute %}
        {%- set nodes = graph.nodes if graph.nodes is defined else {} %}
        {%- for seed in relations %}
            {%- set node = nodes.get('seed.' ~ project_name ~ '.' ~ seed) %}
            {%- if node %}
                {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) %}
            {%- else %}
                {%- set schema = generate_schema_name('config', none) | trim %}
                {%- set relation = adapter.get_relation(target.database, schema, seed) %}
            {%- endif %}
            {%- if relation is not none %}
                {%- set seed_columns = {} %}
                {%- for c in adapter.get_columns_in_relation(relation) %}
                    {%- set is_number = modules.re.match(number_type, c.data_type | lower) is not none %}
                    {%- do seed_columns.update({c.name | lower: number_text if is_number else as_text}) %}
                {%- endfor %}
                {%- do built.update({seed: relation}) %}
                {%- do columns.update({seed: seed_columns}) %}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
    {%- set missing = relations | reject('in', built) | list %}

    {%- set rules = [] %}
    {%- if not missing %}
        {%- set read = run_query(
            'select config_table, column_name, check_kind, argument, message from ' ~ built[rules_seed]
        ) %}
        {%- for row in read.rows %}
            {#- as texts: run_query may read '1' as a number -#}
            {%- set texts = [] %}
            {%- for v in row %}
                {%- do texts.append(none if v is none else v | string) %}
            {%- endfor %}
            {%- do rules.append({'config_table': texts[0], 'column_name': texts[1], 'check_kind': texts[2],
                'argument': texts[3], 'message': texts[4]}) %}
        {%- endfor %}
    {%- endif %}

    {#- the key rule of each seed: [(label, column)], the label being what row_key calls the column -#}
    {%- set keys = {} %}
    {%- for rule in rules if rule.check_kind == 'key' and rule.config_table in sources
        and rule.config_table not in keys %}
        {%- set pairs = [] %}
        {%- for item in (rule.column_name or '').split('|') %}
            {%- set parts = item.split('=') %}
            {%- do pairs.append((parts[0], parts[-1])) %}
        {%- endfor %}
        {%- do keys.update({rule.config_table: pairs}) %}
    {%- endfor %}

    {#- each rule's branch of the union, or what is wrong with the rule -#}
    {%- set branches = [] %}
    {%- set faults = [] %}
    {%- set keyed = [] %}
    {%- for rule in rules %}
        {%- set seed = rule.config_table %}
        {%- set kind = rule.check_kind %}
        {%- set argument = rule.argument if rule.argument is not none else '' %}
        {%- set cte = sources.get(seed) %}
        {%- set seed_columns = columns.get(seed, {}) %}
        {%- set named = (rule.column_name or '').split('|') %}
        {%- set fault = [] %}
        {%- set target = {} %}
        {%- if kind not in placeholders %}
            {%- do fault.append('unknown check_kind ' ~ (kind or 'NULL') ~ ': use '
                ~ (placeholders | list | join(', '))) %}
        {%- elif cte is none %}
            {%- do fault.append('unknown config_table ' ~ (seed or 'NULL') ~ ': this rules seed checks '
                ~ (sources | list | join(', '))) %}
        {%- elif kind == 'key' and seed in keyed %}
            {%- do fault.append('a second key rule for ' ~ seed ~ ': a seed has one key') %}
        {%- elif kind != 'key' and seed not in keys %}
            {%- do fault.append(seed ~ ' has no key rule (check_kind key): its rows could not be named') %}
        {%- endif %}
        {%- if not fault %}
            {%- for item in named %}
                {%- set c = item.split('=')[-1] if kind == 'key' else item %}
                {%- if c not in seed_columns and not fault %}
                    {%- do fault.append('unknown column ' ~ (c or 'NULL') ~ ' of ' ~ seed) %}
                {%- endif %}
            {%- endfor %}
            {%- if named | length > 1 and kind not in ('key', 'reference') and not fault %}
                {%- do fault.append(kind ~ ' checks one column, got ' ~ rule.column_name) %}
            {%- endif %}
        {%- endif %}
        {#- the argument -#}
        {%- if not fault %}
            {%- set bounds = argument.split('|') %}
            {%- if kind in ('whole_number', 'range') %}
                {%- set is_bound = [] %}
                {%- for b in bounds %}
                    {%- do is_bound.append(b == '' or modules.re.match('^-?[0-9]+(\\.[0-9]+)?$', b) is not none) %}
                {%- endfor %}
                {%- if seed_columns[named[0]] != number_text %}
                    {%- do fault.append(kind ~ ' needs a number column, ' ~ named[0] ~ ' is not one') %}
                {%- elif kind == 'whole_number' and modules.re.match('^-?[0-9]+$', argument) is none %}
                    {%- do fault.append('argument must be the minimum, a whole number, got '
                        ~ (argument or 'nothing')) %}
                {%- elif kind == 'range' and (bounds | length != 2 or false in is_bound or argument == '|') %}
                    {%- do fault.append('argument must be min|max (numbers, one may be empty), got '
                        ~ (argument or 'nothing')) %}
                {%- endif %}
            {%- elif kind == 'distinct' %}
                {%- for c in bounds if c not in seed_columns and not fault %}
                    {%- do fault.append('argument must be the column naming the other row, then the columns of the '
                        ~ 'group (name|group), columns of ' ~ seed ~ '; got ' ~ (argument or 'nothing')) %}
                {%- endfor %}
            {%- elif kind == 'accepted_values' and argument == '' %}
                {%- do fault.append('argument must list the accepted values as a|b|c') %}
            {%- elif kind == 'reference' %}
                {%- set parts = argument.split('.') %}
                {%- set referenced = parts[0] %}
                {%- set referenced_columns = parts[-1].split('|') %}
                {%- if referenced in sources %}
                    {%- set known = columns[referenced] | list %}
                    {%- do target.update({'relation': sources[referenced]}) %}
                {%- elif referenced in lookups %}
                    {%- set known = lookups[referenced] %}
                    {%- do target.update({'relation': referenced}) %}
                {%- else %}
                    {%- set known = [] %}
                {%- endif %}
                {%- if parts | length != 2 or not target or referenced_columns | length != named | length
                    or referenced_columns | reject('in', known) | list %}
                    {%- do fault.append('argument must be table.column (table.a|b for the columns a|b): a seed this '
                        ~ 'rules seed checks (' ~ (sources | list | join(', ')) ~ ')'
                        ~ (' or ' ~ (lookups | list | join(', ')) if lookups else '') ~ '; got '
                        ~ (argument or 'nothing')) %}
                {%- endif %}
            {%- endif %}
        {%- endif %}

        {#- the message: literal text and {placeholders}, as a SQL expression -#}
        {%- if not fault %}
            {%- set column = named[0].split('=')[-1] %}
            {%- set value = seed_columns[column] | replace('@', 'checked.' ~ column) %}
            {%- set fields = {'column': "'" ~ rule.column_name ~ "'", 'value': 'coalesce(' ~ value ~ ", 'NULL')",
                'quoted': "coalesce('''' || " ~ value ~ " || '''', 'NULL')",
                'count': 'cast(count(*) as ' ~ string ~ ')',
                'target': "'" ~ argument.split('.')[0] ~ "'", 'minimum': "'" ~ argument ~ "'",
                'min': "'" ~ argument.split('|')[0] ~ "'", 'max': "'" ~ argument.split('|')[-1] ~ "'"} %}
            {%- if kind == 'distinct' %}
                {%- set other = argument.split('|')[0] %}
                {%- do fields.update({'other': 'coalesce(' ~ seed_columns[other] | replace('@', 'twin.' ~ other)
                    ~ ", 'NULL')"}) %}
            {%- elif kind == 'accepted_values' %}
                {%- set allowed = argument.split('|') %}
                {%- set allowed_text = allowed[0] if allowed | length == 1
                    else (allowed[:-1] | join(', ')) ~ ' or ' ~ allowed[-1] %}
                {%- do fields.update({'allowed': "'" ~ allowed_text | replace("'", "''") ~ "'"}) %}
            {%- endif %}
            {%- set pieces = [] %}
            {%- for token in modules.re.split('(\\{[^{}]*\\})', rule.message or defaults[kind]) if token %}
                {%- set name = token[1:-1] %}
                {%- if token[0] != '{' or token[-1] != '}' %}
                    {%- do pieces.append("'" ~ token | replace("'", "''") ~ "'") %}
                {%- elif name in placeholders[kind] %}
                    {%- do pieces.append(fields[name]) %}
                {%- elif name[:4] == 'row.' and name[4:] in seed_columns and kind != 'key' %}
                    {%- set row_value = seed_columns[name[4:]] | replace('@', 'checked.' ~ name[4:]) %}
                    {%- do pieces.append('coalesce(' ~ row_value ~ ", 'NULL')") %}
                {%- elif not fault %}
                    {%- do fault.append('unknown placeholder ' ~ token ~ ' in message: a ' ~ kind ~ ' message may '
                        ~ 'say {' ~ (placeholders[kind] | join('}, {')) ~ '}'
                        ~ ('' if kind == 'key' else ' or {row.<column>}')) %}
                {%- endif %}
            {%- endfor %}
            {%- set problem = pieces | join(' || ') %}
        {%- endif %}

        {%- if fault %}
            {%- set rule_key = 'config_table=' ~ (seed or 'NULL') ~ ', column_name=' ~ (rule.column_name or 'NULL')
                ~ ', check_kind=' ~ (kind or 'NULL') %}
            {%- do faults.append((rule_key, fault[0])) %}
        {%- elif kind == 'key' %}
            {%- do keyed.append(seed) %}
            {%- do branches.append(
                'select config_table, row_key, ' ~ problem ~ ' as problem from ' ~ cte
                ~ ' group by config_table, row_key having count(*) > 1'
            ) %}
        {%- else %}
            {%- set c = 'checked.' ~ column %}
            {%- set text = seed_columns[column] | replace('@', c) %}
            {%- set joins = '' %}
            {%- if kind == 'required' %}
                {%- set where = c ~ ' is null or trim(cast(' ~ c ~ ' as ' ~ string ~ ")) = ''" %}
            {%- elif kind == 'whole_number' %}
                {%- set where = c ~ ' < ' ~ argument ~ ' or ' ~ c ~ ' <> floor(' ~ c ~ ')' %}
            {%- elif kind == 'range' %}
                {%- set limits = [] %}
                {%- if bounds[0] != '' %}{% do limits.append(c ~ ' < ' ~ bounds[0]) %}{% endif %}
                {%- if bounds[1] != '' %}{% do limits.append(c ~ ' > ' ~ bounds[1]) %}{% endif %}
                {%- set where = limits | join(' or ') %}
            {%- elif kind == 'identifier' %}
                {%- set where = c ~ ' is not null and not coalesce(' ~ regex_matches(c, '^[a-z][a-z0-9_]*$')
                    ~ ' and length(' ~ c ~ ') <= 63, false)' %}
            {%- elif kind == 'distinct' %}
                {%- set conditions = ['checked.' ~ column ~ ' = twin.' ~ column,
                    'checked.' ~ bounds[0] ~ ' <> twin.' ~ bounds[0]] %}
                {%- for g in bounds[1:] %}
                    {%- do conditions.append('checked.' ~ g ~ ' = twin.' ~ g) %}
                {%- endfor %}
                {%- set joins = ' inner join ' ~ cte ~ ' as twin on ' ~ conditions | join(' and ') %}
                {%- set where = 'true' %}
            {%- elif kind == 'accepted_values' %}
                {%- set where = c ~ ' is not null and ' ~ text ~ " not in ('" ~ (argument.split('|')
                    | map('replace', "'", "''") | join("', '")) ~ "')" %}
            {%- elif kind == 'reference' %}
                {%- set conditions = [] %}
                {%- set present = [] %}
                {%- for local in named %}
                    {%- do present.append('checked.' ~ local ~ ' is not null') %}
                    {%- do conditions.append('referenced.' ~ argument.split('.')[-1].split('|')[loop.index0]
                        ~ ' = checked.' ~ local) %}
                {%- endfor %}
                {%- set where = present | join(' and ') ~ ' and not exists (select 1 from ' ~ target.relation
                    ~ ' as referenced where ' ~ conditions | join(' and ') ~ ')' %}
            {%- endif %}
            {%- do branches.append(
                'select checked.config_table, checked.row_key, ' ~ problem ~ ' as problem from ' ~ cte ~ ' as checked'
                ~ joins ~ ' where ' ~ where
            ) %}
        {%- endif %}
    {%- endfor %}
    {%- for seed in missing %}
        {%- do faults.append(('seed=' ~ seed, 'not built: build the seeds first (dbt seed); the validation reads the '
            ~ "rules and the seeds' columns when it compiles")) %}
    {%- endfor %}
    {%- for rule_key, fault in faults %}
        {%- do branches.append("select cast('" ~ rules_seed ~ "' as " ~ string ~ ") as config_table, cast('"
            ~ rule_key | replace("'", "''") ~ "' as " ~ string ~ ") as row_key, cast('" ~ fault | replace("'", "''")
            ~ "' as " ~ string ~ ') as problem') %}
    {%- endfor %}

    {#- the validated seeds, each row with its seed name and key -#}
    {%- for seed, cte in sources.items() %}
        {%- set parts = [] %}
        {%- for label, c in keys.get(seed, []) %}
            {%- set text = columns[seed][c] | replace('@', c) %}
            {%- do parts.append("'" ~ ('' if loop.first else ', ') ~ label ~ "=' || coalesce(" ~ text ~ ", 'NULL')") %}
        {%- endfor %}
    {{ cte }} as (

        select
            *,
            cast('{{ seed }}' as {{ string }}) as config_table,
            {{ parts | join(' || ') if parts else 'cast(null as ' ~ string ~ ')' }} as row_key
        from {{ relations[seed] }}

    ),
    {% endfor %}
    -- the generic checks: one branch per rule of {{ rules_seed }}
    config_check_problems as (

        {{ branches | join('\n        union all\n        ') if branches else 'select cast(null as ' ~ string
            ~ ') as config_table, cast(null as ' ~ string ~ ') as row_key, cast(null as ' ~ string
            ~ ') as problem where 1 = 0' }}

    ),
{%- endmacro %}
