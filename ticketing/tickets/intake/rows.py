"""Intake, step 3 (persist): many rows in one INSERT statement, their ids back in order."""

import json
from datetime import UTC, datetime

from sqlalchemy import insert


def insert_rows(db, table, rows: list[dict]) -> list[int]:
    """INSERT the rows (all with the same keys) in one statement; their new ids, in the order of the rows.

    On PostgreSQL the rows travel as one JSON parameter that the server unpacks (json_populate_recordset): the
    statement's text is the same for any number of rows, so the driver parses it once and the server prepares it
    once. A multi-row VALUES list (SQLAlchemy's insertmanyvalues, used on SQLite) is a new text of up to hundreds
    of parameters for each batch size, parsed anew by the driver every time: a fifth of the backend's CPU.
    """
    if db.dialect.name != "postgresql":
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(db.execute(statement, rows).scalars())
    given = tuple(rows[0])
    prepared = _PG_INSERTS.get((table.name, given))
    if prepared is None:
        # Columns left out get their model defaults (scalar ones: False, "live"...), as an ORM insert would.
        defaults = {
            c.name: c.default.arg
            for c in table.columns
            if c.name not in given and c.default is not None and c.default.is_scalar
        }
        names = ", ".join(f'"{c}"' for c in (*given, *defaults))
        sql = (
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} '
            f'FROM json_populate_recordset(NULL::"{table.name}", %(rows)s::json) WITH ORDINALITY '
            f"ORDER BY ordinality RETURNING id"
        )
        prepared = _PG_INSERTS[(table.name, given)] = (sql, defaults)
    sql, defaults = prepared
    if defaults:
        rows = [row | defaults for row in rows]
    # Rows go in in the order given, and each takes the next value of the id sequence as it goes in: ascending
    # ids are the rows' order, whatever other transactions take from the sequence meanwhile.
    return sorted(db.exec_driver_sql(sql, {"rows": json.dumps(rows, default=_utc_naive)}).scalars())


_PG_INSERTS: dict[tuple[str, tuple[str, ...]], tuple[str, dict]] = {}


def _utc_naive(value: object) -> str:
    """Datetimes as the columns keep them (UTCDateTime: UTC without a zone)."""
    if isinstance(value, datetime):
        return (value if value.tzinfo is UTC else value.astimezone(UTC)).replace(tzinfo=None).isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON row")
