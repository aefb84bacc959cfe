"""The adapter interface: one prepared request in, one text (plus metadata) out.

Small on purpose: a third-party adapter implements `generate` and is registered under a name
(in code with `register_adapter`, or through the `harness.adapters` entry-point group). A model
behind an API is better a `harness.models.Backend` (the bare call only), which the model layer
wraps with caching, retries, rate limits and cost accounting.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from harness.kinds.base import TaskKind


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling settings sent to a model; part of the cache key and of the report."""

    temperature: float = 0.0
    max_tokens: int = 512
    top_p: float = 1.0
    seed: int | None = 1234
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """Everything an adapter may need for one example of one task."""

    task: str
    kind: str  # "summarization" | "stance"
    example_id: str
    messages: tuple[Mapping[str, str], ...]  # chat messages: {"role", "content"}
    fields: Mapping[str, Any]  # the example's data fields (article, text, target, ...)
    generation: GenerationSettings = GenerationSettings()
    labels: tuple[str, ...] = ()  # stance label set, empty for summarization
    answer_mode: str = "free_text"  # see harness.adapters.answer_modes
    choices: Mapping[str, str] = field(default_factory=dict)  # label -> its verbalization
    answer_cue: str = ""  # log-likelihood on text completions: labels are scored after it


@dataclass(frozen=True)
class TaskContext:
    """What an adapter may know about a task as a whole (never per-example gold answers)."""

    task: str
    kind: str
    labels: tuple[str, ...] = ()
    label_prior: tuple[str, ...] = ()  # labels to fit a prior on (training labels if any)
    label_prior_source: str = "none"  # "train" | "reference" | "none"


@dataclass
class Response:
    """A model's answer with what it cost; `error` set means no usable text."""

    text: str
    latency_s: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached: bool = False
    error: str | None = None
    attempts: int = 1
    metadata: dict[str, Any] = field(default_factory=dict)


class Adapter(abc.ABC):
    """Produces model outputs for prepared requests.

    `kinds` names the task kinds the adapter can answer (None: any kind, e.g. a chat model);
    the CLI skips other pairs and `run_task` refuses them.
    `settings` must never contain a secret: it is written into every report.
    """

    kinds: ClassVar[frozenset[str] | None] = None

    def __init__(self, name: str | None = None, **settings: Any) -> None:
        self.name = name
        self.settings: dict[str, Any] = dict(settings)

    @property
    def label(self) -> str:
        """Folder-safe model label used under results/<task>/."""
        return self.name or type(self).adapter_name()

    @classmethod
    def adapter_name(cls) -> str:
        return getattr(cls, "registered_name", cls.__name__.lower())

    def answers(self, kind: TaskKind) -> bool:
        """Whether this adapter can answer tasks of `kind` (by name, or by what it needs)."""
        return self.kinds is None or kind.name in self.kinds

    def prepare(self, requests: Sequence[Request], context: TaskContext) -> None:  # noqa: B027
        """Called once per task before any `generate` (e.g. to fit a label prior)."""

    @abc.abstractmethod
    async def generate(self, request: Request) -> Response:
        """Answer one request. Raise `AdapterError` only for failures that doom every request."""

    async def score_labels(self, request: Request) -> Response:
        """Log-likelihood mode: each choice's log-probability as a continuation of the prompt
        (`Response.metadata["label_scores"]`). Optional: adapters without it refuse the mode."""
        from harness.errors import AdapterError

        raise AdapterError(f"{self.adapter_name()} cannot score labels by log-likelihood "
                           "(answer_mode loglikelihood needs a model with log-probabilities)")

    def describe(self) -> dict[str, Any]:
        """What the report records about this model: adapter, name, settings (no secrets)."""
        return {"adapter": self.adapter_name(), "name": self.label, "settings": self.settings}

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections; called once after the last request."""
