"""The embedded Phota-compatible server: the whole API offline, with real image processing.

Names are imported on first use, so importing ``phota_widgets`` does not load FastAPI or uvicorn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phota_widgets.local.faults import Faults
    from phota_widgets.local.limits import Limits
    from phota_widgets.local.process import ServerProcess
    from phota_widgets.local.profiles import TrainingDurations
    from phota_widgets.local.server import LocalServer

_EXPORTS = {
    "Faults": "phota_widgets.local.faults",
    "Limits": "phota_widgets.local.limits",
    "LocalServer": "phota_widgets.local.server",
    "ServerProcess": "phota_widgets.local.process",
    "TrainingDurations": "phota_widgets.local.profiles",
}

__all__ = ["Faults", "Limits", "LocalServer", "ServerProcess", "TrainingDurations"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'phota_widgets.local' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
