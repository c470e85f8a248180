from benchmarks.harness import Config, Figure


def run(config: Config) -> list[Figure]:
    return []
