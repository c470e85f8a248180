"""What every capability panel shares: the base panel, its Run and Collect parts."""

from phota_widgets.widgets._panel.panel import CapabilityPanel, SizedPanel

__all__ = ["CapabilityPanel", "SizedPanel"]
