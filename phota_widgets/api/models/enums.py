"""The wire contract's vocabulary: enums, the endpoints, each model's resolutions and limits."""

from __future__ import annotations

from enum import Enum

UNSUPPORTED_OPTION = "unsupported_option"
"""Error type of the rules the API answers with 400 rather than 422."""


class AspectRatio(str, Enum):
    """Output aspect ratio (edit and generate)."""

    AUTO = "auto"
    SQUARE = "1:1"
    PORTRAIT_3_4 = "3:4"
    LANDSCAPE_4_3 = "4:3"
    PORTRAIT_9_16 = "9:16"
    LANDSCAPE_16_9 = "16:9"


class Resolution(str, Enum):
    """Output resolution: the long side is 1024, 2048 or 4096 px."""

    R1K = "1K"
    R2K = "2K"
    R4K = "4K"


class ImageModel(str, Enum):
    """Base image model (edit and generate)."""

    NB2 = "nb2"
    GPT_IMAGE_2 = "gpt-image-2"
    QWEN_IMAGE_2 = "qwen-image-2"
    FLUX_2 = "flux-2"
    REVE = "reve"


class Quality(str, Enum):
    """Rendering quality; only ``gpt-image-2`` takes it."""

    AUTO = "auto"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class OutputFormat(str, Enum):
    """Encoding of output images."""

    PNG = "png"
    JPG = "jpg"


class ResponseMode(str, Enum):
    """``bytes``: base64 in ``images``; ``urls``: signed links in ``download_urls``."""

    BYTES = "bytes"
    URLS = "urls"


class TrainingTier(str, Enum):
    """Profile training tier."""

    STANDARD = "standard"
    FAST = "fast"


class ProfileStatus(str, Enum):
    """Lifecycle of a profile."""

    VALIDATING = "VALIDATING"
    QUEUING = "QUEUING"
    IN_PROGRESS = "IN_PROGRESS"
    READY = "READY"
    ERROR = "ERROR"
    INACTIVE = "INACTIVE"

    @property
    def is_terminal(self) -> bool:
        """Whether training has ended (ready or failed)."""
        return self in (ProfileStatus.READY, ProfileStatus.ERROR, ProfileStatus.INACTIVE)


class JobStatus(str, Enum):
    """Lifecycle of an asynchronous job."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """Whether the job has ended."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


Endpoint = str
ENDPOINTS: tuple[str, ...] = ("edit", "generate", "enhance", "remix")

MODEL_RESOLUTIONS: dict[ImageModel, tuple[Resolution, ...]] = {
    ImageModel.NB2: (Resolution.R1K, Resolution.R2K, Resolution.R4K),
    ImageModel.GPT_IMAGE_2: (Resolution.R1K, Resolution.R2K, Resolution.R4K),
    ImageModel.QWEN_IMAGE_2: (Resolution.R1K, Resolution.R2K),
    ImageModel.FLUX_2: (Resolution.R1K, Resolution.R2K),
    ImageModel.REVE: (Resolution.R1K,),
}
"""Resolutions each base model supports; any other is a 400."""

MODELS_WITH_QUALITY: frozenset[ImageModel] = frozenset({ImageModel.GPT_IMAGE_2})

MODEL_NAMES: dict[ImageModel, str] = {
    ImageModel.NB2: "Nano Banana 2",
    ImageModel.GPT_IMAGE_2: "GPT Image 2",
    ImageModel.QWEN_IMAGE_2: "Qwen Image 2",
    ImageModel.FLUX_2: "Flux 2 Dev",
    ImageModel.REVE: "Reve",
}

TRAINING_IMAGE_COUNTS: dict[TrainingTier, tuple[int, int]] = {
    TrainingTier.STANDARD: (10, 50),
    TrainingTier.FAST: (5, 10),
}
"""Inclusive (min, max) number of training images per tier."""

MAX_OUTPUT_IMAGES = 4
MAX_EDIT_IMAGES = 10
MAX_INPUT_SIDE = 4096
