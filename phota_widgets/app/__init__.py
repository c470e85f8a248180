"""The Studio as an app: ``phota-widgets studio`` serves the notebook shipped beside this module.

``studio.ipynb`` here is the same notebook as ``notebooks/00_studio.ipynb`` (a test keeps them
equal); it is package data, so the command works from a plain ``pip install``.
"""

from phota_widgets.app.launcher import StudioServer, studio_notebook

__all__ = ["StudioServer", "studio_notebook"]
