"""The Session and its parts: ``from phota_widgets.session import Session``."""

from phota_widgets.session.facade import Session
from phota_widgets.session.submits import TRANSIENT_ERRORS

__all__ = ["TRANSIENT_ERRORS", "Session"]
