"""The performance suite: ``python -m benchmarks [--quick]`` (see README, "Performance")."""
