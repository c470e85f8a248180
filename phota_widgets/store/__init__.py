"""The run store: every Phota run's record and images, local by default, shareable by a team.

``from phota_widgets.store import RunStore, RunRecord, OutputRecord`` is the public surface;
the modules below split it: ``schema`` (tables, migrations), ``engine`` (SQLite/PostgreSQL),
``files`` (fsspec), ``queries``/``frames`` (reading), ``leases`` (claims on shared work).
"""

from phota_widgets.store.config import StoreLocation, default_judge
from phota_widgets.store.leases import Claim, Leases
from phota_widgets.store.records import (
    JudgementRecord,
    OutputRecord,
    RatingRecord,
    RunRecord,
    RunStatus,
)
from phota_widgets.store.runstore import RunStore
from phota_widgets.store.schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "Claim",
    "JudgementRecord",
    "Leases",
    "OutputRecord",
    "RatingRecord",
    "RunRecord",
    "RunStatus",
    "RunStore",
    "StoreLocation",
    "default_judge",
]
