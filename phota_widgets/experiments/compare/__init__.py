"""One sweep against another, cell by cell: deltas of cost, latency, win rate and checks.

``comparison`` (``pw.compare_sweeps``, ``SweepComparison``), ``view`` (the two sweeps side by
side as static HTML), ``command`` (``phota-widgets compare A B [--fail-if-worse P]``).
"""
