"""Sweeps: prompts x inputs x settings x vars x repeats, planned, run, kept and shown.

``axes`` (each axis checked), ``limits`` (how many cells), ``plan`` (``SweepPlan``, cells with
stable keys), ``cells`` (a cell planned and answered, output ids), ``spend`` (confirmation above
a threshold), ``runner`` (cells on the session's loop: progress, resume, ``SweepHandle``),
``records`` (sweep rows in the run store), ``entry`` (what the Session's sweep methods call),
``result`` (``SweepResult``), ``table`` (DataFrame, CSV, snippets), ``report`` (HTML grid and
report), ``files`` + ``yaml_source`` (experiment files), ``command`` (``phota-widgets sweep``).
"""
