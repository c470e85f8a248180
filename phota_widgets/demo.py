"""``phota-widgets demo``: generate, edit, enhance and remix a sample photo, then write a report.

With no ``PHOTA_API_KEY`` it runs against the embedded local server, so it works offline.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from phota_widgets.api.results import Result

SAMPLES = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg")


def sample(name: str) -> bytes:
    """A sample photo shipped with the package (see ``data/SOURCES.md``)."""
    if name not in SAMPLES:
        raise ValueError(f"no sample named {name!r}: choose one of {', '.join(SAMPLES)}")
    return resources.files("phota_widgets").joinpath(f"data/{name}").read_bytes()


def run_demo(out: str | Path = "phota-demo") -> int:
    """Run every capability once and write ``report.html``; returns a process exit code."""
    from phota_widgets.display import contact_sheet
    from phota_widgets.session import Session

    folder = Path(out)
    with Session(output_dir=folder / "runs", use_jobs=True) as session:
        cat, coffee, rocket = sample("chelsea.jpg"), sample("coffee.jpg"), sample("rocket.jpg")
        planned: list[tuple[str, dict[str, Any]]] = [
            (
                "generate",
                {
                    "prompt": "a red lighthouse on the coast at sunset",
                    "num_output_images": 2,
                    "aspect_ratio": "16:9",
                },
            ),
            ("edit", {"prompt": "make it warmer and brighter, crop to 1:1", "images": [cat]}),
            ("enhance", {"image": coffee}),
            ("remix", {"input_image": coffee, "reference_image": rocket, "prompt": "moody"}),
        ]
        budget = sum(session.estimate(endpoint, **params) for endpoint, params in planned)
        print(f"Backend: {session.backend}. Planned cost: ~${budget:.2f}")
        results: list[Result] = []
        for endpoint, params in planned:
            result = session.run(endpoint, **params)
            results.append(result)
            sizes = ", ".join(f"{w}x{h}" for w, h in (img.size for img in result.images))
            print(
                f"  {endpoint:8s} {len(result.images)} image(s) [{sizes}] "
                f"in {result.elapsed:.2f}s, ~${result.cost_estimate or 0:.2f}"
            )
            for note in result.notes:
                print(f"           note: {note}")
        if session.is_local:
            results.append(_profile_demo(session))
        report = contact_sheet(results, title="phota-widgets demo").save(folder / "report.html")
        print(f"Report: {report}  (runs recorded in {session.store.root})")
        print(f"Spent (estimate): ${session.spent:.2f}")
    return 0


def _profile_demo(session: object) -> Result:
    """Train a profile from the astronaut portrait and draw it into a generated scene."""
    from phota_widgets.session import Session

    assert isinstance(session, Session)
    portrait = sample("astronaut.jpg")
    profile_id = session.client.profiles.add([portrait] * 5, training_tier="fast", tag="demo")
    session.client.profiles.wait_ready(profile_id, poll_interval=0.5)
    session.forget_profiles()
    result = session.run("generate", prompt=f"[[{profile_id}]] on a beach at sunrise")
    print(f"  profile  {profile_id} trained; recognised in output: {result.known_subjects}")
    return result
