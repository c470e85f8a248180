"""Sample photos shipped with the package (``data/``, see ``data/SOURCES.md``).

``pw.sample("astronaut")`` gives a photo's bytes, usable wherever an image is accepted;
``pw.sample_url("astronaut")`` gives the public address of the same photo, for what Phota
only takes as a URL (training a profile).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SAMPLES = ("astronaut", "chelsea", "coffee", "rocket")
"""The sample names: a portrait, a cat, a cup of coffee, a rocket launch."""

PUBLIC_SOURCE = "https://raw.githubusercontent.com/scikit-image/scikit-image/v0.24.0/skimage/data"
"""Where scikit-image publishes the originals that the shipped JPEGs were made from."""
_ORIGINALS = {
    "astronaut": "astronaut.png",
    "chelsea": "chelsea.png",
    "coffee": "coffee.png",
    "rocket": "rocket.jpg",
}


def _name(name: str) -> str:
    stem = Path(name).stem if name.endswith(".jpg") else name
    if stem not in SAMPLES:
        raise ValueError(f"no sample named {name!r}: choose one of {', '.join(SAMPLES)}")
    return stem


def sample(name: str) -> bytes:
    """A sample photo's JPEG bytes (``"astronaut"``, ``"chelsea"``, ``"coffee"``, ``"rocket"``).

    Raises:
        ValueError: there is no sample of that name.
    """
    return resources.files("phota_widgets").joinpath(f"data/{_name(name)}.jpg").read_bytes()


def sample_path(name: str) -> Path:
    """The file of a sample photo inside the installed package."""
    return Path(str(resources.files("phota_widgets").joinpath(f"data/{_name(name)}.jpg")))


def sample_url(name: str) -> str:
    """The public http(s) address of a sample photo's original (Phota fetches it from there)."""
    return f"{PUBLIC_SOURCE}/{_ORIGINALS[_name(name)]}"
