"""ipywidgets panels: Generate, Edit, Enhance, Remix, Profiles, History, Studio."""
