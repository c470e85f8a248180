"""ipywidgets panels: Generate, Edit, Enhance, Remix, Profiles, History, Experiments (SweepPanel,
ReviewPanel), and the Studio."""

from phota_widgets.widgets.edit import EditPanel
from phota_widgets.widgets.enhance import EnhancePanel
from phota_widgets.widgets.generate import GeneratePanel
from phota_widgets.widgets.grid import OutputGrid
from phota_widgets.widgets.history import HistoryPanel
from phota_widgets.widgets.login import LoginBox, login
from phota_widgets.widgets.profiles import ProfilesPanel
from phota_widgets.widgets.remix import RemixPanel
from phota_widgets.widgets.review import ReviewPanel
from phota_widgets.widgets.studio import Studio
from phota_widgets.widgets.sweep import SweepPanel

__all__ = [
    "EditPanel",
    "EnhancePanel",
    "GeneratePanel",
    "HistoryPanel",
    "LoginBox",
    "OutputGrid",
    "ProfilesPanel",
    "RemixPanel",
    "ReviewPanel",
    "Studio",
    "SweepPanel",
    "login",
]
