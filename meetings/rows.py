"""Written-out SQL over the models' own columns, for the statements every page view and every
sync run makes: the edit page, each of its redraws and each sync's load read a meeting with
its settings, its reminders and its lists; a sync stores a row per call to WeCom. Django took
longer to build those statements (0.7-0.8 ms for the meeting's hundred columns and joins)
than PostgreSQL took to answer them (0.1). The SQL here is built from the models' fields,
so that a new column needs nothing here, and values go in and out through the same
conversions the ORM applies.
"""

import functools
import json
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.constants import OnConflict
from django.db.models.sql import UpdateQuery

from .models import Meeting, MeetingSettings, Reminders, participant_rows


def json_rows(items: str, source: str, order: str) -> str:
    """The SQL of one JSON array, as text, with an array of the SQL `items` for each row of
    `source` ("FROM … WHERE …"), in `order`: many rows brought back as one value of a
    statement that returns one row."""
    if connection.vendor == "postgresql":
        # As text, decoded as the JSON columns are.
        return f"(SELECT json_agg(json_build_array({items}) ORDER BY {order})::text {source})"
    # An aggregate over an ordered subquery takes its rows in that order (SQLite's flattener
    # keeps the ORDER BY of a subquery under an aggregate).
    return (
        "(SELECT json_group_array(json(item)) "  # noqa: S608
        f"FROM (SELECT json_array({items}) AS item {source} ORDER BY {order}))"
    )


def userid_pairs(meeting_id: str) -> str:
    """The SQL of a meeting's lists as one JSON array of [role, userid] pairs, in the order
    `load_userids` reads them; `meeting_id` is the SQL that names the meeting."""
    return json_rows(
        "role, userid", f"FROM ({participant_rows(meeting_id)}) AS pairs", "role, position"
    )


@functools.cache
def _columns(model: type[models.Model], alias: str, using: Any) -> tuple[str, list, list]:
    """A model's columns under `alias`: their SQL, their attnames and, per column, the
    converters the ORM applies to a value read on `using` (this thread's connection: the
    converters are its methods)."""
    quote = using.ops.quote_name
    fields = model._meta.concrete_fields
    converters = []
    for field in fields:
        column = field.get_col(alias)
        steps = using.ops.get_db_converters(column) + column.get_db_converters(using)
        converters.append((column, steps))
    names = ", ".join(f"{alias}.{quote(field.column)}" for field in fields)
    return names, [field.attname for field in fields], converters


def columns_of(model: type[models.Model], alias: str) -> str:
    """The SQL of a model's columns under `alias`, for a written-out SELECT whose rows
    `take` turns back into instances."""
    return _columns(model, alias, connections[DEFAULT_DB_ALIAS])[0]


def take(values: Sequence[Any], model: type[models.Model], alias: str) -> tuple[Any, list]:
    """The instance whose columns (`columns_of`) lead `values`, and the values after them.
    None for a row whose key is NULL: a LEFT JOIN that found nothing."""
    using = connections[DEFAULT_DB_ALIAS]
    _names, attnames, converters = _columns(model, alias, using)
    mine, rest = values[: len(attnames)], list(values[len(attnames) :])
    if mine[attnames.index(model._meta.pk.attname)] is None:
        return None, rest
    converted = []
    for value, (column, steps) in zip(mine, converters, strict=True):
        for step in steps:
            value = step(value, column, using)
        converted.append(value)
    return model.from_db(using.alias, attnames, converted), rest


def whole_meeting(pk: int, **columns: str) -> Meeting | None:
    """The meeting with its settings, its reminders and its lists of userids, in one query,
    or None. `columns` adds SQL columns (the meeting's table is `m` there), set on the
    meeting under their names."""
    tables = [(Meeting, "m"), (MeetingSettings, "s"), (Reminders, "r")]
    selected = [columns_of(model, alias) for model, alias in tables]
    selected += [userid_pairs("m.id"), *columns.values()]
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {', '.join(selected)} FROM {quote(Meeting._meta.db_table)} m "  # noqa: S608
        f"LEFT JOIN {quote(MeetingSettings._meta.db_table)} s ON s.meeting_id = m.id "
        f"LEFT JOIN {quote(Reminders._meta.db_table)} r ON r.meeting_id = m.id "
        "WHERE m.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    meeting, values = take(row, Meeting, "m")
    # What select_related caches (None when the row is missing): reading meeting.settings
    # costs no query.
    meeting._state.fields_cache["settings"], values = take(values, MeetingSettings, "s")
    meeting._state.fields_cache["reminders"], values = take(values, Reminders, "r")
    pairs, *extra = values
    for name, value in zip(columns, extra, strict=True):
        setattr(meeting, name, value)
    return meeting.load_userids(json.loads(pairs) if pairs else [])


def store_all(rows: Sequence[models.Model], changed: Sequence[str] = ()) -> None:
    """Store instances of one model, in their order, in one statement (or, past what the
    database binds in one, in as many as bulk_create would make): the new ones inserted
    (their pks set), the stored ones with their fields named in `changed` written over. As
    bulk_create does (no signals), for the sync's rows of calls (a call's row is stored
    before it goes out and its answer with the next rows) and the audit record's events."""
    model = type(rows[0])
    using = connections[DEFAULT_DB_ALIAS]
    pk, quote = model._meta.pk, using.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if field is not pk]
    size = using.ops.bulk_batch_size([pk, *fields], rows)
    if len(rows) > size:
        for start in range(0, len(rows), size):
            store_all(rows[start : start + size], changed)
        return
    one = ", ".join(["%s"] * len(fields))
    # A new row takes its pk from the database: DEFAULT, or NULL on SQLite.
    new_pk = using.ops.pk_default_value()
    values, params = [], []
    for row in rows:
        values.append(f"({'%s' if row.pk is not None else new_pk}, {one})")
        if row.pk is not None:
            params.append(row.pk)
        add = row.pk is None
        params += [field.get_db_prep_save(field.pre_save(row, add=add), using) for field in fields]
    columns = [field.column for field in fields]
    over = ""
    if any(row.pk is not None for row in rows):
        assert changed, "a stored row is written over only in the fields named"
        assert set(changed) <= {field.name for field in fields}, "only a model's own columns"
        over = using.ops.on_conflict_suffix_sql(
            fields,
            OnConflict.UPDATE,
            [field.column for field in fields if field.name in changed],
            [pk.column],
        )
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
        f"({quote(pk.column)}, {', '.join(map(quote, columns))}) VALUES {', '.join(values)} "
        f"{over} RETURNING {quote(pk.column)}"
    )
    with using.cursor() as cursor:
        cursor.execute(sql, params)
        # In the order of the VALUES, as Django's own bulk_create takes them.
        for row, (stored,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = stored
            row._state.adding = False
            row._state.db = using.alias


def update_columns(row: models.Model, **values: Any) -> None:
    """Set these fields of a stored instance, on it and in its row, in one UPDATE."""
    update_where(type(row), values, pk=row.pk)
    for name, value in values.items():
        setattr(row, name, value)


def update_where(
    model: type[models.Model],
    values: dict[str, Any],
    returning: tuple[str, Sequence[Any]] = ("", ()),
    **where: Any,
) -> tuple | None:
    """UPDATE the rows of `model` whose fields equal `where` with `values` (plain values,
    or expressions such as F("tries") + 1): what the updated row returns, the SQL of
    `returning` (with its parameters; the pk by default), or None when no row matched.
    The model's table is named by its name there."""
    using = connections[DEFAULT_DB_ALIAS]
    quote, table = using.ops.quote_name, quote_table(model)
    by_name = {field.name: field for field in model._meta.concrete_fields}
    by_name["pk"] = model._meta.pk
    assert set(values) | set(where) <= set(by_name), "only a model's own columns"
    assignments, params = [], []
    for name, value in values.items():
        field = by_name[name]
        sql, value_params = _value(model, field, value, using)
        assignments.append(f"{quote(field.column)} = {sql}")
        params += value_params
    conditions = []
    for name, value in where.items():
        field = by_name[name]
        conditions.append(f"{table}.{quote(field.column)} = %s")
        params.append(field.get_db_prep_value(value, using))
    sql, returning_params = returning
    statement = (
        f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} "
        f"RETURNING {sql or f'{table}.{quote(model._meta.pk.column)}'}"
    )
    with using.cursor() as cursor:
        cursor.execute(statement, [*params, *returning_params])
        return cursor.fetchone()


def _value(model: type[models.Model], field: Any, value: Any, using: Any) -> tuple[str, list]:
    """The SQL and parameters of a value to set a column to, as the ORM's update sets it."""
    if hasattr(value, "resolve_expression"):
        query = UpdateQuery(model)
        expression = value.resolve_expression(query, allow_joins=False, for_save=True)
        sql, params = query.get_compiler(connection=using).compile(expression)
        return sql, list(params)
    return "%s", [field.get_db_prep_save(value, using)]


def quote_table(model: type[models.Model]) -> str:
    """The model's table name, quoted: how the rows of an UPDATE's table are named."""
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(model._meta.db_table)


def where_sql(model: type[models.Model], condition: models.Q) -> tuple[str, tuple]:
    """The SQL and parameters of a condition on a model's rows, its columns named by the
    model's table, for a written-out statement on that table. Built by the ORM, once per
    process for each condition (conditions that are equal share it), so that the condition
    is still said in one place."""
    return _where(model, condition, connections[DEFAULT_DB_ALIAS])


@functools.cache
def _where(model: type[models.Model], condition: models.Q, using: Any) -> tuple[str, tuple]:
    query = model._default_manager.filter(condition).query
    sql, params = query.get_compiler(connection=using).compile(query.where)
    return sql, tuple(params)
