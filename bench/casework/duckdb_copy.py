"""The same rows in DuckDB: chosen columns of PostgreSQL tables copied out as CSV and loaded, for the benches
that run DuckDB beside the engine (run.py, matrix.py)."""

from __future__ import annotations

import os
import tempfile

import duckdb


def copy_to_duckdb(connection, columns: dict[str, str]) -> duckdb.DuckDBPyConnection:  # type: ignore[no-untyped-def]
    """An in-memory DuckDB holding, for each `table: "col, col"` of `columns`, those columns of every row."""
    folder = tempfile.mkdtemp()
    db = duckdb.connect()
    for table, cols in columns.items():
        path = os.path.join(folder, f"{table}.csv")
        with (
            connection.cursor() as cursor,
            open(path, "wb") as out,
            cursor.cursor.copy(f"COPY (SELECT {cols} FROM {table}) TO STDOUT WITH CSV HEADER") as copy,
        ):
            for chunk in copy:
                out.write(chunk)
        db.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv_auto('{path}')")
        os.remove(path)
    return db
