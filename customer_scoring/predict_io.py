"""The runner's predict step: read the training examples from the work database, fit and predict
(`customer_scoring.predict`), and write the results back as the relations of dbt source `predict`
(models/marts/model/_model__sources.yml), which the models after the step read.

The tables are created with the column names and types the source declares (one definition for both engines) and
replaced as a whole by every build; each row carries the build's as-of date, and the models read only the rows of
their own as-of date. Floats are rounded before they are written (probabilities to 6 places, expected orders to 4,
revenue to cents, metrics to 6) so that DuckDB and PostgreSQL turn them into the same decimals.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

log = logging.getLogger("customer_scoring")

SOURCE = "predict"
TABLES = ("prediction_scores", "prediction_evaluation", "prediction_calibration", "prediction_status",
          "model_registry")
# Decimal places each target's prediction is rounded to before it is written.
SCORE_DECIMALS = {"expected_orders": 4, "expected_revenue": 2}
PROBABILITY_DECIMALS = 6


def source_schema(target: str) -> str:
    """The schema of source `predict` in the work database: `predict`, or `build_predict` on a warehouse (the runner
    builds warehouse targets under the prefix `build`, see _model__sources.yml)."""
    return "predict" if target == "duckdb" else "build_predict"


def source_columns(manifest, table: str) -> list[tuple[str, str]]:
    """(name, SQL type) of a table of source `predict`, as declared in the dbt project."""
    node = manifest.sources[f"source.customer_scoring.{SOURCE}.{table}"]
    return [(c.name, c.data_type) for c in node.columns.values()]


def project_vars(project: Path, overrides: dict) -> dict:
    """The dbt project's vars (dbt_project.yml) with the build's --vars on top."""
    with open(project / "dbt_project.yml") as f:
        declared = yaml.safe_load(f).get("vars") or {}
    return {**declared, **(overrides or {})}


def drop_predictions(settings) -> str:
    """Drop the predict step's relations from the work database (schema of source `predict`), so a build without the
    step reads no earlier predictions. Returns a one-line summary."""
    schema = source_schema(settings.target)
    if settings.target == "duckdb":
        import duckdb

        if not settings.work_db.exists():
            return "no work database yet"
        con = duckdb.connect(str(settings.work_db))
        try:
            con.execute(f'drop schema if exists "{schema}" cascade')
        finally:
            con.close()
    else:
        from customer_scoring import postgres

        conn = postgres.connect()
        try:
            with conn, conn.cursor() as cur:
                cur.execute(f'drop schema if exists "{schema}" cascade')
        finally:
            conn.close()
    return f"predictions of earlier runs dropped ({schema}): this build makes none (--no-predict)"


def read_frame(settings, relation: tuple[str, str], order_by: str) -> pd.DataFrame:
    """The whole relation (schema, table) of the work database as a DataFrame, rows in `order_by` order. Decimal
    columns become floats."""
    schema, table = relation
    query = f'select * from "{schema}"."{table}" order by {order_by}'
    if settings.target == "duckdb":
        import duckdb

        con = duckdb.connect(str(settings.work_db), read_only=True)
        try:
            frame = con.execute(query).df()
        finally:
            con.close()
    else:
        from customer_scoring import postgres

        conn = postgres.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(query)
                names = [d[0] for d in cur.description]
                frame = pd.DataFrame.from_records(cur.fetchall(), columns=names)
        finally:
            conn.close()
    for name in frame.columns:
        if frame[name].dtype == object:
            sample = frame[name].dropna()
            if len(sample) and type(sample.iloc[0]).__name__ == "Decimal":
                frame[name] = pd.to_numeric(frame[name], errors="raise").astype(float)
    return frame


def combine(runs: list):
    """One PredictionRun-like object from several (customers, leads, campaign response): each table concatenated,
    logs in order."""
    from types import SimpleNamespace

    tables = {}
    for name in TABLES:
        frames = [getattr(r, name) for r in runs if len(getattr(r, name))]
        tables[name] = (pd.concat(frames, ignore_index=True) if frames else getattr(runs[0], name).iloc[:0])
    return SimpleNamespace(**tables, log=[line for r in runs for line in r.log])


def rounded(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its floats rounded the way the project stores them (see the module docstring)."""
    out = frame.copy()
    if table == "prediction_scores" and len(out):
        places = out["target"].map(SCORE_DECIMALS).fillna(PROBABILITY_DECIMALS).astype(int).to_numpy()
        # a writable copy (to_numpy may return a read-only view of the column's array); None -> nan, which rounds to
        # nan and is stored as null
        values = np.array(out["value"].to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)
        for p in np.unique(places):  # vectorised: 3.4M values at 1M contacts
            values[places == p] = np.round(values[places == p], int(p))
        out["value"] = values
    else:
        for name in out.columns:
            if pd.api.types.is_float_dtype(out[name]):
                out[name] = out[name].round(6)
    return out


def _typed(frame: pd.DataFrame, columns: list[tuple[str, str]], as_of: dt.date, table: str) -> pd.DataFrame:
    frame = rounded(table, frame).copy()
    frame["as_of_date"] = as_of
    missing = [name for name, _ in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"{table}: the predict step produced no column {', '.join(missing)}")
    return frame[[name for name, _ in columns]]


def write_frames(settings, manifest, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Replace each table of source `predict` by its frame (plus as_of_date) in the work database. Returns the row
    count written per table."""
    schema = source_schema(settings.target)
    written = {}
    if settings.target == "duckdb":
        import duckdb

        con = duckdb.connect(str(settings.work_db))
        try:
            con.execute(f'create schema if not exists "{schema}"')
            for table, frame in frames.items():
                columns = source_columns(manifest, table)
                data = _typed(frame, columns, settings.as_of, table)
                con.register("frame", data)
                cols = ", ".join(f'"{n}" {t}' for n, t in columns)
                casts = ", ".join(f'cast("{n}" as {t})' for n, t in columns)
                con.execute(f'create or replace table "{schema}"."{table}" ({cols})')
                con.execute(f'insert into "{schema}"."{table}" select {casts} from frame')
                con.unregister("frame")
                written[table] = len(data)
        finally:
            con.close()
        return written
    import io

    from customer_scoring import postgres

    conn = postgres.connect()
    try:
        with conn, conn.cursor() as cur:
            cur.execute(f'create schema if not exists "{schema}"')
            for table, frame in frames.items():
                columns = source_columns(manifest, table)
                data = _typed(frame, columns, settings.as_of, table)
                cols = ", ".join(f'"{n}" {t}' for n, t in columns)
                cur.execute(f'drop table if exists "{schema}"."{table}"')
                cur.execute(f'create table "{schema}"."{table}" ({cols})')
                buffer = io.StringIO()
                # An empty field is NULL (COPY's csv default); no column of these tables holds an empty string.
                data.to_csv(buffer, index=False, header=False, na_rep="", date_format="%Y-%m-%d")
                buffer.seek(0)
                cur.copy_expert(f'copy "{schema}"."{table}" from stdin (format csv)', buffer)
                written[table] = len(data)
    finally:
        conn.close()
    return written
