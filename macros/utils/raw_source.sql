{#- The raw layer as staging reads it: every column of the input contract (macros/utils/raw_contract.sql, generated
    from customer_scoring/contract.py), typed, whatever the user's file or table holds.

    raw_source('shop', 'orders') returns a SELECT with exactly the contract's columns of that table:
    - a column the file or table has is read by its physical type: text is parsed under the table's dialect
      (raw_dialect), a typed column is converted (a time-zone-aware timestamp to UTC, a whole DOUBLE to an integer);
    - a missing optional column is a typed NULL, or its contract default (an order export without a status column
      is a list of completed orders); a missing required column is a compilation error naming table, column and what
      it is for (the runner's pre-flight check says the same before dbt runs);
    - an absent table (no file, no relation) is an empty relation with the same typed columns;
    - `_unreadable_quarantine` and `_unreadable_nulled` list the columns whose non-empty value could not be read
      (NULL when none): staging quarantines the row for the first, counts a repair for the second;
      `_unreadable_detail` shows the first unreadable value, for the quarantine's reason detail;
    - extra columns are ignored (the pre-flight check lists them once).
    Column names match without regard to case and surrounding spaces. With var ignore_loaded_at: true, `_loaded_at`
    is ignored (visibility follows the business dates: for snapshot exports loaded after the dates they describe).

    In a dbt unit test the fixture stands for the raw table: every column goes through the text path, so unit tests
    exercise the parsing. -#}

{% macro raw_source(source_name, table_name) -%}
    {%- set key = source_name ~ '.' ~ table_name -%}
    {%- set spec = raw_contract()[key] -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set dialect = raw_dialect(source_name, table_name) -%}
    {%- if model.resource_type == 'unit_test' -%}
        {%- set info = {'exists': true, 'from': relation, 'columns': {}} -%}
        {%- for c in spec.columns -%}
            {%- do info.columns.update({c.name: {'name': c.name, 'type': 'unknown'}}) -%}
        {%- endfor -%}
    {%- elif execute -%}
        {%- set info = raw_relation_info(source_name, table_name, relation, dialect) -%}
    {%- else -%}
        {%- set info = {'exists': false, 'from': none, 'columns': {}} -%}
    {%- endif -%}
    {%- if var('ignore_loaded_at', false) -%}
        {%- do info.columns.pop('_loaded_at', none) -%}
    {%- endif -%}
    {%- set string = dbt.type_string() -%}
    {%- set rows_from = raw_malformed_lines(info) if info.exists else none -%}

    {#- Two levels: read_rows converts each present column from its physical type (keeping its text, and for a
        whole-number column with a domain the number before the whole check); the outer select applies the
        contract's domains and lists what could not be read or lies outside its domain. -#}
    {%- set reads = [] -%}
    {%- set selects = [] -%}
    {%- set quarantine_checks = [] -%}
    {%- set nulled_checks = [] -%}
    {%- set domain_codes = [] -%}
    {%- set domain_nulled = [] -%}
    {%- set first_details = [] -%}
    {%- set later_details = [] -%}
    {%- for c in spec.columns -%}
        {%- set physical = info.columns.get(c.name) if info.exists else none -%}
        {%- if physical is none -%}
            {%- if c.required and info.exists -%}
                {{ exceptions.raise_compiler_error(
                    "raw table " ~ key ~ " has no column " ~ c.name ~ " (required: " ~ c.purpose ~ "). Add it, or "
                    ~ "rename the column that holds it; docs/INPUT_CONTRACT.md lists every column.") }}
            {%- endif -%}
            {%- do reads.append(raw_missing_column(c) ~ ' as ' ~ c.name) -%}
            {%- do selects.append(c.name) -%}
        {%- else -%}
            {%- set expr = adapter.quote(physical.name) -%}
            {%- set cls = raw_type_class(physical.type) -%}
            {%- do reads.append(raw_typed_value(expr, cls, c.kind, dialect) ~ ' as ' ~ c.name) -%}
            {%- set checked = c.kind != 'text' and cls not in raw_exact_classes(c.kind) -%}
            {%- set dom = c.domain if c.kind in ('integer', 'decimal') else none -%}
            {%- if checked or dom is not none -%}
                {%- do reads.append(raw_text(expr) ~ ' as ' ~ c.name ~ '__text') -%}
            {%- endif -%}
            {#- the number as written: a whole-number column is also read as a decimal, so that 2.5 lies outside
                its domain (never rounded) rather than being unreadable -#}
            {%- set number = c.name -%}
            {%- if dom is not none and c.kind == 'integer' -%}
                {%- do reads.append(raw_typed_value(expr, cls, 'decimal', dialect) ~ ' as ' ~ c.name ~ '__number') -%}
                {%- set number = c.name ~ '__number' -%}
            {%- endif -%}
            {%- if dom is not none -%}
                {%- set tests = [] -%}
                {%- if c.kind == 'integer' -%}{%- do tests.append(c.name ~ ' is null') -%}{%- endif -%}
                {%- if dom.low is not none -%}{%- do tests.append(number ~ ' < ' ~ dom.low) -%}{%- endif -%}
                {%- if dom.high is not none -%}{%- do tests.append(number ~ ' > ' ~ dom.high) -%}{%- endif -%}
                {%- set outside = '(' ~ number ~ ' is not null and (' ~ tests | join(' or ') ~ '))' -%}
                {%- do selects.append('case when ' ~ outside ~ ' then null else ' ~ c.name ~ ' end as ' ~ c.name) -%}
                {%- set listed = 'case when ' ~ outside ~ " then '" ~ c.name ~ "' end" -%}
                {%- if dom.code in ('unreadable_value', 'unreadable_value_nulled') -%}
                    {#- a column without a reason code of its own: outside its domain is unreadable -#}
                    {%- do (quarantine_checks if c.on_unreadable == 'quarantine' else nulled_checks).append(listed) -%}
                {%- elif c.on_unreadable == 'quarantine' -%}
                    {%- do domain_codes.append('when ' ~ outside ~ " then '" ~ dom.code ~ "'") -%}
                {%- else -%}
                    {%- do domain_nulled.append(listed) -%}
                {%- endif -%}
                {%- set detail = 'case when ' ~ outside ~ " then '" ~ c.name ~ " = ''' || " ~ c.name
                    ~ "__text || ''' (outside its domain: " ~ dom.text ~ ")' end" -%}
                {%- do (first_details if c.on_unreadable == 'quarantine' else later_details).append(detail) -%}
            {%- else -%}
                {%- do selects.append(c.name) -%}
            {%- endif -%}
            {%- if checked -%}
                {%- set check = '(' ~ c.name ~ '__text is not null and ' ~ number ~ ' is null)' -%}
                {%- set listed = 'case when ' ~ check ~ " then '" ~ c.name ~ "' end" -%}
                {%- do (quarantine_checks if c.on_unreadable == 'quarantine' else nulled_checks).append(listed) -%}
                {%- set detail = 'case when ' ~ check ~ " then '" ~ c.name ~ " = ''' || " ~ c.name
                    ~ "__text || '''' end" -%}
                {%- do (first_details if c.on_unreadable == 'quarantine' else later_details).append(detail) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if info.get('malformed_lines') -%}
        {%- do reads.append('_cs_malformed_line') -%}
    {%- else -%}
        {%- do reads.append('cast(null as ' ~ string ~ ') as _cs_malformed_line') -%}
    {%- endif -%}
    {%- set details = ['_cs_malformed_line'] + first_details + later_details %}
    select
        {{ selects | join(',\n        ') }},
        {{ raw_name_list(quarantine_checks) }} as _unreadable_quarantine,
        {{ raw_name_list(nulled_checks) }} as _unreadable_nulled,
        {% if domain_codes %}case {{ domain_codes | join(' ') }} end{% else %}cast(null as {{ string }}){% endif %}
            as _out_of_domain_code,
        {{ raw_name_list(domain_nulled, ',') }} as _out_of_domain_nulled,
        _cs_malformed_line as _malformed_line,
        coalesce({{ details | join(', ') }}) as _unreadable_detail
    from (
        select
            {{ reads | join(',\n            ') }}
        {%- if info.exists %}
        from {{ rows_from }} as raw_rows
        {%- else %}
        where 1 = 0
        {%- endif %}
    ) as read_rows
{%- endmacro %}
