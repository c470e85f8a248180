"""How the Studio's server is locked to whoever started it, as Voila/jupyter_server settings.

- a token (jupyter_server's identity provider reads it from ``JUPYTER_TOKEN`` in the server's
  environment, never from its command line); the first visit carries it in the URL, after which
  a login cookie is used;
- the Host header checked against loopback names (``allow_remote_access`` off,
  ``local_hostnames``), so a DNS-rebinding page gets 403;
- a cap on running kernels (:class:`~phota_widgets.app.kernels.CappedKernelManager`);
- idle kernels without an open page culled after ``cull_after`` seconds (optionally also those
  with an open page: ``cull_connected``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOOPBACK_NAMES = ["localhost", "localhost.localdomain", "ip6-localhost"]
"""Host names accepted besides loopback addresses (127.0.0.0/8, ::1)."""
CAPPED_MANAGER = "phota_widgets.app.kernels.CappedKernelManager"
KERNEL_SHUTDOWN_WAIT = 2.0
"""Seconds a kernel gets to end after a shutdown request before it is killed."""


@dataclass(frozen=True)
class StudioLimits:
    """The Studio server's limits (defaults suit one person with a few tabs).

    Attributes:
        max_kernels: most Studio pages (kernels) at once; 0 for no limit.
        cull_after: seconds after which an idle kernel with no open page is shut down.
        cull_connected: also shut down idle kernels whose page is still open.
        cull_interval: how often (seconds) kernels are checked for culling.
    """

    max_kernels: int = 4
    cull_after: int = 120
    cull_connected: bool = False
    cull_interval: int = 0

    def __post_init__(self) -> None:
        if self.max_kernels < 0:
            raise ValueError(f"max_kernels must be 0 (no limit) or more, got {self.max_kernels}")
        if self.cull_after < 1:
            raise ValueError(f"cull_after must be at least 1 second, got {self.cull_after}")

    @property
    def interval(self) -> int:
        """The culling check interval: as set, else a tenth of ``cull_after`` (1..30 s)."""
        return self.cull_interval or max(1, min(30, self.cull_after // 10))

    def kernel_settings(self) -> dict[str, Any]:
        """jupyter_server's culling and shutdown settings."""
        return {
            "MappingKernelManager": {
                "cull_idle_timeout": self.cull_after,
                "cull_interval": self.interval,
                "cull_connected": self.cull_connected,
            },
            "KernelManager": {"shutdown_wait_time": KERNEL_SHUTDOWN_WAIT},
        }

    def voila_config(self) -> dict[str, Any]:
        """The ``voila.json`` for the Studio: token, Host check, kernel cap, culling."""
        return {
            "Voila": {
                "auto_token": True,  # the token itself comes from JUPYTER_TOKEN
                "tornado_settings": {
                    "allow_remote_access": False,
                    "local_hostnames": LOOPBACK_NAMES,
                },
            },
            "VoilaConfiguration": {"multi_kernel_manager_class": CAPPED_MANAGER},
            "CappedKernelManager": {
                "max_kernels": self.max_kernels,
                "idle_seconds_hint": self.cull_after + self.interval,
            },
            **self.kernel_settings(),
        }

    def lab_config(self) -> dict[str, Any]:
        """The ``jupyter_server_config.json`` for ``--lab``: Host check and culling."""
        return {
            "ServerApp": {"allow_remote_access": False, "local_hostnames": LOOPBACK_NAMES},
            **self.kernel_settings(),
        }


def write_voila_config(folder: Path, limits: StudioLimits) -> Path:
    """Write ``voila.py`` (a Python config: Voila's request log needs jupyter_server's
    ``log_request``, which scrubs the token from logged URLs) and return its path."""
    settings = json.dumps(limits.voila_config(), indent=2)
    text = (
        "# Written by phota-widgets studio for this server run.\n"
        "import json\n\n"
        "from jupyter_server.log import log_request\n"
        "from traitlets.config import Config\n\n"
        f"c.merge(Config(json.loads({settings!r})))  # noqa: F821\n"
        'c.Voila.tornado_settings["log_function"] = log_request  # noqa: F821\n'
    )
    path = folder / "voila.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def new_token() -> str:
    """A fresh random token for one server run."""
    return secrets.token_urlsafe(24)


def write_json(path: Path, settings: dict[str, Any]) -> Path:
    """Write settings as JSON (readable only by the owner) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2))
    path.chmod(0o600)
    return path
