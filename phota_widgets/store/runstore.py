"""RunStore: the durable record of every Phota run, so nothing paid for is ever lost.

By default everything lives in one local folder ``root``::

    runs.sqlite3                 index of runs and outputs (WAL mode, schema in PRAGMA user_version)
    images/<sha[:2]>/<sha>.<ext> output images, named by the sha256 of their bytes
    inputs/<sha[:2]>/<sha><sfx>  input images, content-addressed the same way
    thumbs/<sha>_<max_px>.jpg    cached JPEG thumbnails

A team points the index at PostgreSQL (``index_url``) and the files at object storage or a shared
folder (``files_url``); ``root`` then holds only the local caches (thumbnails, fetched images).
Every local file is written atomically and every database write commits at once.

``RunStore`` opens the index and files and is made of parts, one concern each: :mod:`.runs`
(recorded, ended, owned, read back), :mod:`.outputs` (images, inputs, thumbnails),
:mod:`.picks` (per judge) and :mod:`.statements` (SQL for other layers' tables such as sweeps,
and the change fingerprint); judgements, scores, leases and assignments are objects it holds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from phota_widgets.store.assignments import Assignments
from phota_widgets.store.backend_limits import BackendLimits
from phota_widgets.store.engine import WRITE, display_url, open_engine, read_only_folder, sqlite_url
from phota_widgets.store.failures import ride_out
from phota_widgets.store.files import FileStore
from phota_widgets.store.judging import Judging
from phota_widgets.store.leases import Leases
from phota_widgets.store.model_judging import ModelJudging
from phota_widgets.store.outputs import Outputs
from phota_widgets.store.picks import Picks
from phota_widgets.store.runs import Runs
from phota_widgets.store.schema import check_readable, migrate
from phota_widgets.store.scores import Scores
from phota_widgets.store.statements import Statements


@ride_out
class RunStore(Runs, Outputs, Picks, Statements):
    """An SQL index of runs plus content-addressed image files; safe from several threads.

    Args:
        root: local folder: the whole store by default, only local caches otherwise.
        index_url: SQLAlchemy URL of the index (default ``sqlite:///<root>/runs.sqlite3``;
            a team: ``postgresql+psycopg://user:pass@host/db``).
        files_url: where image files live (default ``root``; a team: ``s3://bucket/prefix``
            or any fsspec URL, or a shared folder).
        storage_options: fsspec options for ``files_url`` (endpoint, credentials, …).
    """

    def __init__(
        self,
        root: str | os.PathLike[str] = "phota-runs",
        *,
        index_url: str | None = None,
        files_url: str | os.PathLike[str] | None = None,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.root = Path(root).expanduser().resolve()
        self._elsewhere = index_url is not None or files_url is not None
        self.read_only = index_url is None and files_url is None and read_only_folder(self.root)
        """A store on a read-only mount: browsed, never written (writes: StoreReadOnlyError)."""
        if not self.read_only:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / "thumbs").mkdir(exist_ok=True)
        self.files = FileStore(
            self.root if files_url is None else files_url,
            cache_dir=self.root / "cache",
            storage_options=storage_options,
        )
        local = sqlite_url(self.root / "runs.sqlite3", read_only=self.read_only)
        self.engine = open_engine(index_url or local)
        self.dialect = self.engine.dialect.name
        self._writer = self.engine.execution_options(**WRITE)
        try:
            if self.read_only:
                with self.engine.connect() as conn:
                    check_readable(conn, str(self.root))
            else:
                with self._writer.begin() as conn:
                    migrate(conn, str(self.root) if index_url is None else self.index_display)
        except BaseException:
            self.engine.dispose()
            raise
        self.leases = Leases(self._writer, self.engine)
        self.judging = Judging(self._writer, self.engine)
        self.model_judging = ModelJudging(self._writer, self.engine)
        self.assignments = Assignments(self._writer, self.engine)
        self.add_judgement = self.judging.add_judgement
        self.add_judgements = self.judging.add_judgements
        self.judgements = self.judging.judgements
        self.set_rating = self.judging.set_rating
        self.ratings = self.judging.ratings
        self.scores = Scores(self._writer, self.engine)
        self.backend_limits = BackendLimits(self._writer, self.engine)
        self._closed = False

    @property
    def index_display(self) -> str:
        """The index URL with any password hidden."""
        return display_url(self.engine)

    @property
    def shared(self) -> bool:
        """Whether the index or the files live elsewhere than this store's own folder."""
        return self._elsewhere or self.dialect != "sqlite" or not self.files.is_local

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connections (idempotent)."""
        if not self._closed:
            self._closed = True
            self.engine.dispose()

    def __len__(self) -> int:
        return self.count()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if not self.shared:
            return f"RunStore({str(self.root)!r})"
        return f"RunStore(index={self.index_display!r}, files={self.files.url!r})"
