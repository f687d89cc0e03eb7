"""One INSERT for thousands of rows the daily run builds itself.

The ORM inserts 100 rows per statement, and puts each new record in its caches one by one,
with its defaults, the inverse caches of its documents and its computed fields: a quarter of a
millisecond per row, tens of thousands of rows on a busy day. The run's rows are alike and
built from records it has just read; this inserts them in one statement and leaves the ORM
consistent: defaults of the fields not given (read once), stored computed fields and
constraints as ``create`` runs them, caches of the records that point at them invalidated.
"""

from markupsafe import Markup, escape

from odoo.tools import SQL

# Written by the insert itself.
LOG_ACCESS = ("create_uid", "create_date", "write_uid", "write_date")
# Column types whose values ``array`` writes as text.
ARRAY_TYPES = {"int4", "int8", "bool", "date", "timestamp", "numeric", "float8", "varchar", "text"}


def array(values, sql_type):
    """`values` as one typed array parameter (``SQL``), sent as the array's text.

    psycopg2 sends a list as ``ARRAY[v1, v2, ...]``, an expression PostgreSQL parses value by
    value, and a date as a cast each: for 50,000 ids or dates, a tenth of a second to write and
    parse, where the array's text takes a hundredth. None is NULL, and so is False but in a
    boolean array (an empty value, as the ORM writes it).
    """
    if sql_type == "bool":
        elements = ["NULL" if value is None else "t" if value else "f" for value in values]
    elif sql_type in ("int4", "int8", "numeric", "float8"):
        elements = ["NULL" if value is None or value is False else str(value) for value in values]
    elif sql_type in ("date", "timestamp"):
        elements = ["NULL" if value is None or value is False else value.isoformat() for value in values]
    else:
        elements = [
            "NULL"
            if value is None or value is False
            else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for value in values
        ]
    return SQL("%s::%s[]", "{" + ",".join(elements) + "}", SQL(sql_type))


def insert_rows(model, vals_list):
    """Insert `vals_list` (stored column values, many2one as ids) into `model`'s table and
    return the new records, in the order of `vals_list`. Html values are not sanitized: the
    caller builds them as ``Markup`` from escaped values (plain text is escaped here)."""
    if not vals_list:
        return model.browse()
    env = model.env
    given = {name for vals in vals_list for name in vals}
    everywhere = set.intersection(*(set(vals) for vals in vals_list))
    fields = model._fields
    stored = [
        field
        for name, field in fields.items()
        if field.store and field.column_type and name != "id" and name not in LOG_ACCESS
    ]
    # A value that is not a column (a relation, a computed field) would be dropped silently.
    if unknown := given - {field.name for field in stored}:
        raise ValueError(f"Not columns of {model._name}: {', '.join(sorted(unknown))}")
    # As ``create``: a field a row does not give takes its default.
    defaults = model.default_get(
        [field.name for field in stored if field.name not in everywhere and not field.compute]
    )
    ids = [
        row[0]
        for row in env.execute_query(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"{model._table}_id_seq", len(vals_list))
        )
    ]
    columns = [("id", ids, "int4")]
    written = []
    for field in stored:
        if field.name not in given and field.name not in defaults:
            continue
        default = defaults.get(field.name)
        values = []
        for vals in vals_list:
            value = vals.get(field.name, default)
            if field.type == "html":
                # Plain text is escaped; markup is the caller's, built from escaped values.
                values.append(str(value if isinstance(value, Markup) else escape(value)) if value else None)
            else:
                values.append(field.convert_to_column(value, model, vals))
        # The array's element type (a column's may carry a length: VARCHAR(n)); the INSERT
        # converts to the column's.
        columns.append((field.name, values, field.column_type[0]))
        written.append(field.name)
    now = env.cr.now()
    if model._log_access:
        columns += [
            ("create_uid", [env.uid] * len(ids), "int4"),
            ("write_uid", [env.uid] * len(ids), "int4"),
            ("create_date", [now] * len(ids), "timestamp"),
            ("write_date", [now] * len(ids), "timestamp"),
        ]
    env.execute_query(
        SQL(
            "INSERT INTO %s (%s) SELECT * FROM unnest(%s)",
            SQL.identifier(model._table),
            SQL(", ").join(SQL.identifier(name) for name, _values, _type in columns),
            SQL(", ").join(
                array(values, sql_type) if sql_type in ARRAY_TYPES else SQL("%s::%s[]", values, SQL(sql_type))
                for _name, values, sql_type in columns
            ),
        )
    )
    records = model.browse(ids)
    # Documents whose one2many lists these records read them again.
    for field in fields.values():
        if field.type in ("many2one", "many2one_reference") and field.name in written:
            for inverse in model.pool.field_inverses[field]:
                env[inverse.model_name].invalidate_model([inverse.name])
    # Stored fields computed from those written (an other module's too) are computed as after
    # ``create``; those given are kept.
    computed = [name for name in written if fields[name].compute]
    with env.protecting([fields[name] for name in computed], records):
        for field in stored:
            if field.compute and field.name not in written:
                env.add_to_compute(field, records)
        records.modified(written, create=True)
    records._validate_fields(written)
    return records


def insert_links(model, name, pairs):
    """Link the records of `model` just inserted (``insert_rows``) through their many2many field
    `name`: [(record id, linked id)], in one INSERT. A pair given twice is linked once, as the
    ORM links it."""
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return
    field = model._fields[name]
    model.env.execute_query(
        SQL(
            "INSERT INTO %s (%s, %s) SELECT * FROM unnest(%s, %s)",
            SQL.identifier(field.relation),
            SQL.identifier(field.column1),
            SQL.identifier(field.column2),
            array([record_id for record_id, _linked_id in pairs], "int4"),
            array([linked_id for _record_id, linked_id in pairs], "int4"),
        )
    )
    records = model.browse({record_id for record_id, _linked_id in pairs})
    records.invalidate_recordset([name])
    records.modified([name])
