"""The run store's tables (SQLAlchemy Core) and their versioned migrations.

The same tables serve SQLite (the single-user default) and PostgreSQL (a team's shared index).
The schema version lives in ``PRAGMA user_version`` on SQLite (as it always has) and in the
one-row table ``phota_schema`` elsewhere. Opening a store creates missing tables and runs the
migration steps above the stored version, in one transaction; PostgreSQL serialises concurrent
openers with an advisory lock, SQLite with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    inspect,
    text,
)

from phota_widgets.store.errors import StoreVersionError

SCHEMA_VERSION = 5
"""v1: runs, outputs. v2: output and pick counts on runs, run owners, sweeps and their cells,
judgements and ratings, claims (leases on shared work), per-judge picks. v3: scores; model
judgements' details (answers both ways round, position consistency, tokens, cost); review
assignments. v4: HTTP requests per run; the concurrency learned per backend. v5: judgements
per criterion (``criterion``, NULL for an overall judgement); model judgements' details keyed
by judge, pair and criterion."""

OVERALL = ""
"""The ``criterion`` of an overall model judgement's details (part of the key, so not NULL)."""

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", Text, primary_key=True),
    Column("endpoint", Text, nullable=False),
    Column("params", Text, nullable=False),
    Column("prompt", Text),
    Column("status", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("backend", Text, nullable=False),
    Column("request_id", Text),
    Column("job_id", Text),
    Column("client_request_id", Text),
    Column("elapsed", Float),
    Column("cost", Float),
    Column("error", Text),
    Column("known_subjects", Text, nullable=False, server_default="{}"),
    Column("note", Text),
    Column("n_outputs", Integer, nullable=False, server_default="0"),
    Column("n_picked", Integer, nullable=False, server_default="0"),
    Column("requests", Integer),
)
Index("runs_created", runs.c.created_at)

outputs = Table(
    "outputs",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("idx", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("output_format", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("picked", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("run_id", "idx"),
    ForeignKeyConstraint(["run_id"], ["runs.run_id"]),
)

run_owners = Table(
    "run_owners",
    metadata,
    Column("run_id", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    ForeignKeyConstraint(["run_id"], ["runs.run_id"]),
)

sweeps = Table(
    "sweeps",
    metadata,
    Column("sweep_id", Text, primary_key=True),
    Column("name", Text),
    Column("endpoint", Text, nullable=False),
    Column("spec", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

sweep_cells = Table(
    "sweep_cells",
    metadata,
    Column("sweep_id", Text, nullable=False),
    Column("cell_key", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("cell", Text, nullable=False),
    Column("run_id", Text),
    Column("error", Text),
    PrimaryKeyConstraint("sweep_id", "cell_key"),
    ForeignKeyConstraint(["sweep_id"], ["sweeps.sweep_id"]),
)
Index("sweep_cells_key", sweep_cells.c.cell_key)
Index("sweep_cells_run", sweep_cells.c.run_id)

judgements = Table(
    "judgements",
    metadata,
    Column("judgement_id", Integer, primary_key=True, autoincrement=True),
    Column("output_a", Text, nullable=False),
    Column("output_b", Text, nullable=False),
    Column("winner", Text, nullable=False),
    Column("shown_left", Text),
    Column("judge", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("sweep_id", Text),
    Column("criterion", Text),  # NULL: an overall judgement
)
Index("judgements_output_a", judgements.c.output_a)

model_judgements = Table(
    "model_judgements",
    metadata,
    Column("judge", Text, nullable=False),
    Column("pair", Text, nullable=False),  # the two output ids, sorted, joined by a space
    Column("judgement_id", Integer),
    Column("sweep_id", Text),
    Column("answer_ab", Text, nullable=False),  # output_a shown left
    Column("answer_ba", Text, nullable=False),  # output_b shown left
    Column("consistent", Integer, nullable=False),
    Column("tokens_in", Integer, nullable=False),
    Column("tokens_out", Integer, nullable=False),
    Column("cost", Float),
    Column("created_at", Float, nullable=False),
    Column("criterion", Text, nullable=False, server_default=OVERALL),  # OVERALL: overall
    PrimaryKeyConstraint("judge", "pair", "criterion"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("sweep_id", Text, nullable=False),
    Column("pair", Text, nullable=False),  # the two output ids, sorted, joined by a space
    Column("judge", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("sweep_id", "pair", "judge"),
)

ratings = Table(
    "ratings",
    metadata,
    Column("output_id", Text, nullable=False),
    Column("judge", Text, nullable=False),
    Column("stars", Integer, nullable=False),
    Column("note", Text),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("output_id", "judge"),
)

claims = Table(
    "claims",
    metadata,
    Column("claim_key", Text, primary_key=True),
    Column("holder", Text, nullable=False),
    Column("state", Text, nullable=False),  # "held" or "done"
    Column("expires_at", Float, nullable=False),
    Column("claimed_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("run_id", Text),
)

picks = Table(
    "picks",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("idx", Integer, nullable=False),
    Column("judge", Text, nullable=False),
    Column("picked_at", Float, nullable=False),
    PrimaryKeyConstraint("run_id", "idx", "judge"),
    ForeignKeyConstraint(["run_id", "idx"], ["outputs.run_id", "outputs.idx"]),
)

scores = Table(
    "scores",
    metadata,
    Column("output_hash", Text, nullable=False),
    Column("scorer", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("param_hash", Text, nullable=False),
    Column("output_id", Text, nullable=False),
    Column("value", Float),
    Column("passed", Integer),
    Column("detail", Text, nullable=False, server_default=""),
    Column("tokens", Integer),
    Column("cost", Float),
    Column("created_at", Float, nullable=False),
    Column("error", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("output_hash", "scorer", "version", "param_hash"),
)
Index("scores_output", scores.c.output_id)

backend_limits = Table(
    "backend_limits",
    metadata,
    Column("backend", Text, primary_key=True),
    Column("concurrency", Integer, nullable=False),
    Column("learned_at", Float, nullable=False),
)

version_table = Table("phota_schema", MetaData(), Column("version", Integer, nullable=False))

LEGACY_JUDGE = "(earlier)"
"""The judge recorded for picks made before picks were kept per judge."""


def _v2_picks_per_judge(conn: Connection) -> None:
    for column in ("n_outputs", "n_picked"):  # counts kept on the run: tables read in one scan
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0"))
    conn.execute(
        text(
            "UPDATE runs SET n_outputs = (SELECT COUNT(*) FROM outputs o"
            " WHERE o.run_id = runs.run_id), n_picked = (SELECT COALESCE(SUM(o.picked), 0)"
            " FROM outputs o WHERE o.run_id = runs.run_id)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO picks (run_id, idx, judge, picked_at) "
            "SELECT run_id, idx, :judge, 0 FROM outputs WHERE picked <> 0"
        ),
        {"judge": LEGACY_JUDGE},
    )


def _v4_requests_per_run(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE runs ADD COLUMN requests INTEGER"))


def _v5_criteria(conn: Connection) -> None:
    """Judgements get a criterion; model judgements' details are rebuilt with the criterion in
    their primary key (SQLite cannot change a key in place): copied aside, the table made anew,
    the rows copied back as overall ones. Tables made new by this version (a store older than
    v3) already have the column."""
    if not _has_column(conn, "judgements", "criterion"):
        conn.execute(text("ALTER TABLE judgements ADD COLUMN criterion TEXT"))
    if _has_column(conn, "model_judgements", "criterion"):
        return
    kept = [c.name for c in model_judgements.c if c.name != "criterion"]
    columns = ", ".join(kept)
    aside = f"CREATE TABLE model_judgements_v4 AS SELECT {columns} FROM model_judgements"
    conn.execute(text(aside))
    conn.execute(text("DROP TABLE model_judgements"))
    model_judgements.create(conn)
    conn.execute(
        text(
            f"INSERT INTO model_judgements ({columns}, criterion) "
            f"SELECT {columns}, :overall FROM model_judgements_v4"
        ),
        {"overall": OVERALL},
    )
    conn.execute(text("DROP TABLE model_judgements_v4"))


def _has_column(conn: Connection, table: str, column: str) -> bool:
    return any(c["name"] == column for c in inspect(conn).get_columns(table))


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _v2_picks_per_judge,
    4: _v4_requests_per_run,
    5: _v5_criteria,
}
"""Steps that change data or existing tables, by the version they lead to (tables that are
simply new are created by ``metadata.create_all``)."""


def read_version(conn: Connection) -> int:
    """The schema version recorded in this database (0: a new one)."""
    if conn.dialect.name == "sqlite":
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    version_table.create(conn, checkfirst=True)
    found = conn.execute(version_table.select()).scalar()
    return 0 if found is None else int(found)


def write_version(conn: Connection, version: int) -> None:
    """Record the schema version (inside the caller's transaction)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version={int(version)}")
        return
    conn.execute(version_table.delete())
    conn.execute(version_table.insert().values(version=version))


def migrate(conn: Connection, where: str) -> None:
    """Create or upgrade the schema inside the caller's (write) transaction.

    Raises:
        StoreVersionError: if the database was written by a newer phota-widgets.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(72682462)"))
    version = check_version(conn, where)
    if version == SCHEMA_VERSION:
        return
    new = version == 0 and not conn.dialect.has_table(conn, "runs")
    metadata.create_all(conn, checkfirst=True)
    if not new:
        for step in range(version + 1, SCHEMA_VERSION + 1):
            if step in MIGRATIONS:
                MIGRATIONS[step](conn)
    write_version(conn, SCHEMA_VERSION)


def check_version(conn: Connection, where: str) -> int:
    """The schema version, refused when newer than this phota-widgets reads.

    Raises:
        StoreVersionError: if the database was written by a newer phota-widgets.
    """
    version = read_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"run store {where} has schema v{version}; this phota-widgets reads "
            f"up to v{SCHEMA_VERSION}: upgrade phota-widgets (pip install -U phota-widgets)",
            where,
        )
    return version


def check_readable(conn: Connection, where: str) -> int:
    """The schema version of a store opened read-only: this version exactly (an older one
    cannot be upgraded without writing, and its tables lack newer columns).

    Raises:
        StoreVersionError: the store is newer, or older than this phota-widgets reads.
    """
    version = check_version(conn, where)
    if version < SCHEMA_VERSION and conn.dialect.has_table(conn, "runs"):
        raise StoreVersionError(
            f"run store {where} has schema v{version} and is read-only here; this "
            f"phota-widgets reads v{SCHEMA_VERSION}: open it once writable to upgrade it to "
            f"v{SCHEMA_VERSION} (or read it with the phota-widgets that wrote it)",
            where,
        )
    return version
