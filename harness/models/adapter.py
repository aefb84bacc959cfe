"""`BackendAdapter`: a `Backend` plus the model layer, as an adapter the runner can call.

A backend implements only the bare call; subclassing this (or registering the backend class
itself) gives it the cache, retries, limits and cost accounting of `ModelClient`, and the
log-likelihood label scorer.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from harness.adapters.base import Adapter, Request, Response
from harness.errors import InputError
from harness.models.backend import Backend
from harness.models.layer import LAYER_OPTIONS, ModelClient

# The adapter options choosing the log-likelihood route (harness.models.loglikelihood.ROUTES)
# and, on the chat route, how a partial label is prefilled (loglikelihood_chat.PREFILL_STYLES).
LL_ROUTE_OPTION = "logprobs_route"
LL_PREFILL_OPTION = "logprobs_prefill"


class BackendAdapter(Adapter):
    """An adapter made of a `Backend` and the model layer: subclass and set `backend_class`.

    `--model NAME:MODEL,key=value...`: the layer's options (`LAYER_OPTIONS`) configure the
    layer, every other option goes to the backend's constructor, which gets `model` (default:
    the spec's name) first.
    """

    backend_class: ClassVar[type[Backend]]

    def __init__(self, name: str | None = None, **options: Any) -> None:
        if "api_key" in options:
            raise InputError("never put a key in the model spec; set it in the environment "
                             "(api_key_env=VAR where the backend supports it)", field="api_key")
        unknown = sorted(set(options) - self.accepted_options())
        if unknown:
            raise InputError(f"{self.adapter_name()}: unknown option(s) {', '.join(unknown)}",
                             field=unknown[0])
        layer = {k: options.pop(k) for k in LAYER_OPTIONS if k in options}
        route = str(options.pop(LL_ROUTE_OPTION, "auto"))
        prefill = options.pop(LL_PREFILL_OPTION, None)
        model = str(options.pop("model", None) or name or "")
        if not model:
            raise InputError(f"{self.adapter_name()} needs a model name: "
                             f"{self.adapter_name()}:MODEL", field="model")
        self.backend = self.backend_class(model, **options)
        self.client = ModelClient(self.backend, **layer)
        from harness.models.loglikelihood import LabelScorer

        self.scorer = LabelScorer(self.client, route,
                                  prefill=None if prefill is None else str(prefill))
        super().__init__(name, **{**self.backend.settings(), **self.client.settings()})

    @classmethod
    def accepted_options(cls) -> frozenset[str]:
        """Option names a spec may give: the layer's plus the backend constructor's."""
        params = inspect.signature(cls.backend_class).parameters
        own = (*LAYER_OPTIONS, LL_ROUTE_OPTION, LL_PREFILL_OPTION)
        return frozenset(own) | {name for name, p in params.items()
                                 if p.kind is not p.VAR_KEYWORD}

    @classmethod
    def wrapping(cls, backend_class: type[Backend]) -> type[BackendAdapter]:
        """The adapter class for a backend class registered on its own."""
        return type(f"{backend_class.__name__}Adapter", (cls,), {
            "backend_class": backend_class, "kinds": backend_class.kinds,
            "__doc__": backend_class.__doc__, "__module__": backend_class.__module__})

    def request_body(self, request: Request) -> dict[str, Any]:
        """Exactly what is sent for `request` (and hashed for the cache)."""
        return self.backend.request_body(request)

    async def generate(self, request: Request) -> Response:
        return await self.client.complete(self.request_body(request))

    async def score_labels(self, request: Request) -> Response:
        return await self.scorer.score(request)

    def describe(self) -> dict[str, Any]:
        """Also which log-likelihood route scored the run and its checks, once decided."""
        out = super().describe()
        info = self.scorer.info()
        if info is not None:
            out["loglikelihood"] = info
        return out

    async def aclose(self) -> None:
        try:
            await self.backend.aclose()
        finally:
            await self.client.aclose()
