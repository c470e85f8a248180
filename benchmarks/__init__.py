"""The performance suite: ``python -m benchmarks [--quick]`` (see docs/performance.md).

The last full run's table is kept in ``benchmarks/RESULTS.md``, which the docs page shows.
"""
