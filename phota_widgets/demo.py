"""``phota-widgets demo``: generate, edit, enhance and remix a sample photo, then write a report.

With no ``PHOTA_API_KEY`` it runs against the embedded local server, so it works offline; there it
also trains a profile from the sample portrait and draws it into a scene. The plan it prints first
lists every step with its estimated cost, and the spend it prints last adds up the same steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from phota_widgets.api.results import Result
from phota_widgets.samples import sample

if TYPE_CHECKING:
    from phota_widgets.session import Session

PROFILE_PLACEHOLDER = "{profile}"
"""Stands for the trained profile's id in a planned prompt until training gives the id."""
TRAINING_TIER = "fast"


@dataclass
class Step:
    """One planned call: its endpoint and parameters (``endpoint == "train"``: a profile)."""

    endpoint: str
    params: dict[str, Any] = field(default_factory=dict)

    def estimate(self, session: Session) -> float:
        """What the step costs at most, before anything is sent."""
        if self.endpoint == "train":
            return session.prices.training(TRAINING_TIER)
        prompt = str(self.params.get("prompt", ""))
        planned = {**self.params, "prompt": prompt.replace(PROFILE_PLACEHOLDER, "p_planned")}
        return session.estimate(self.endpoint, **planned)


def plan_steps(with_profile: bool) -> list[Step]:
    """The demo's calls, in order; the profile steps only where local photos can train one."""
    cat, coffee, rocket = sample("chelsea"), sample("coffee"), sample("rocket")
    steps = [
        Step(
            "generate",
            {
                "prompt": "a red lighthouse on the coast at sunset",
                "num_output_images": 2,
                "aspect_ratio": "16:9",
            },
        ),
        Step("edit", {"prompt": "make it warmer and brighter, crop to 1:1", "images": [cat]}),
        Step("enhance", {"image": coffee}),
        Step("remix", {"input_image": coffee, "reference_image": rocket, "prompt": "moody"}),
    ]
    if with_profile:
        steps += [
            Step("train", {"images": [sample("astronaut")] * 5}),
            Step("generate", {"prompt": f"[[{PROFILE_PLACEHOLDER}]] on a beach at sunrise"}),
        ]
    return steps


def run_demo(out: str | Path = "phota-demo") -> int:
    """Run every capability once and write ``report.html``; returns a process exit code."""
    from phota_widgets.display import contact_sheet
    from phota_widgets.session import Session

    folder = Path(out)
    with Session(output_dir=folder / "runs", use_jobs=True) as session:
        # Phota trains profiles from public URLs only; the embedded server also takes local photos.
        steps = plan_steps(with_profile=session.is_local)
        estimates = [step.estimate(session) for step in steps]
        print(f"Backend: {session.backend}. Plan:")
        for step, cost in zip(steps, estimates, strict=True):
            print(f"  {step.endpoint:8s} ~${cost:.2f}")
        print(f"Planned cost: ~${sum(estimates):.2f}")
        results: list[Result] = []
        spent = 0.0
        profile_id = ""
        for step in steps:
            if step.endpoint == "train":
                profile_id = _train(session, step)
                spent += session.prices.training(TRAINING_TIER)
                continue
            params = dict(step.params)
            if "prompt" in params:
                params["prompt"] = str(params["prompt"]).replace(PROFILE_PLACEHOLDER, profile_id)
            result = session.run(step.endpoint, **params)
            results.append(result)
            spent += result.cost_estimate or 0.0
            _print_result(step.endpoint, result)
        report = contact_sheet(results, title="phota-widgets demo").save(folder / "report.html")
        print(f"Report: {report}  (runs recorded in {session.store.root})")
        print(f"Spent (estimate): ${spent:.2f}")
    return 0


def _train(session: Session, step: Step) -> str:
    """Train a profile from the step's photos and wait until it is ready."""
    profile_id = session.client.profiles.add(
        step.params["images"], training_tier=TRAINING_TIER, tag="demo"
    )
    session.client.profiles.wait_ready(profile_id, poll_interval=0.5)
    session.forget_profiles()
    print(f"  train    profile {profile_id} ready, ~${session.prices.training(TRAINING_TIER):.2f}")
    return profile_id


def _print_result(endpoint: str, result: Result) -> None:
    sizes = ", ".join(f"{w}x{h}" for w, h in (img.size for img in result.images))
    print(
        f"  {endpoint:8s} {len(result.images)} image(s) [{sizes}] "
        f"in {result.elapsed:.2f}s, ~${result.cost_estimate or 0:.2f}"
    )
    if result.known_subjects:
        print(f"           recognised: {result.known_subjects}")
    for note in result.notes:
        print(f"           note: {note}")
