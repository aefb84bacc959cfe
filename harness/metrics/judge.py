"""An LLM judge of summaries: 1–5 scores on rubric dimensions and claim-level faithfulness.

Each judge (a model spec, set in `metrics.judge.judges` or with `harness run --judge`) is asked
through the model layer, so its calls are cached, retried, limited and resumable, and its tokens
and cost are reported apart from the evaluated model's (`details.judge.usage`). An answer that
cannot be parsed is retried once with the parse error, then counted invalid
(`judge_invalid_rate`): never scored 0, never guessed. With several judges the headline is the
mean across judges, each judge's values are reported, and their agreement is Krippendorff's
ordinal alpha. The rubric (version, language, text hash), the judges and their generation
settings are recorded, so runs judged differently are not comparable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import InputError
from harness.judging.rubrics import CLAIM_LABELS, DIMENSIONS, RUBRIC_VERSION, SCALE, rubric_hash
from harness.metrics.base import Aggregate, Entry, Item, Metric, Record, Value, answered, entry
from harness.metrics.registry import register_metric

if TYPE_CHECKING:
    import asyncio

    from harness.judging.calls import Verdict
    from harness.scoring.bootstrap import BootstrapConfig
    from harness.scoring.significance import PairedResult

Structured = Literal["json_schema", "json_object", "none"]
STRUCTURED: tuple[str, ...] = get_args(Structured)
Dimension = Literal["faithfulness", "coverage", "fluency", "conciseness"]
CLAIMS = "claims_supported"


class JudgeSettings(BaseModel):
    """`metrics.judge` in a task file (`judges` may instead come from `harness run --judge`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Model specs, e.g. openai:gpt-4o-mini. Not in the task hash (a spec may hold a local URL
    # or cache folder); what identifies a judge is recorded in metric_settings instead.
    judges: tuple[str, ...] = Field((), exclude=True)
    language: Literal["ar", "en"] = "ar"  # the rubric's language
    dimensions: tuple[Dimension, ...] = DIMENSIONS  # type: ignore[assignment]
    claims: bool = True  # claim-level faithfulness (a second question per summary)
    # How the answer's JSON schema is sent as response_format: "json_schema" (OpenAI, vLLM),
    # "json_object" (llama.cpp servers: {"type": "json_object", "schema": ...}), or "none".
    # (per judge: the spec option structured=...)
    structured_output: Structured = "json_schema"
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(1024, gt=0)
    seed: int | None = 1234
    concurrency: int = Field(8, gt=0)  # judge questions in flight


JUDGE_OPTIONS = ("structured",)  # spec options the judge takes (the rest go to the adapter)


def split_spec(text: str) -> tuple[Any, dict[str, Any]]:
    """The adapter's spec, and the judge's own options taken off it."""
    from dataclasses import replace

    from harness.adapters.registry import parse_model_spec

    spec = parse_model_spec(text)
    own = {k: spec.options[k] for k in JUDGE_OPTIONS if k in spec.options}
    options = {k: v for k, v in spec.options.items() if k not in JUDGE_OPTIONS}
    return replace(spec, options=options), own


def response_format_for(kind: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    if kind == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "judgement", "strict": True, "schema": schema}}
    return {"type": "json_object", "schema": schema} if kind == "json_object" else None


@register_metric("judge")
class Judge(Metric):
    Settings: ClassVar[type[BaseModel]] = JudgeSettings
    requires: ClassVar[frozenset[str]] = frozenset({"article"})
    settings: JudgeSettings

    def __init__(self, settings: BaseModel | None = None, answer_mode: str = "free_text",
                 judges: Sequence[Mapping[str, Any]] | None = None) -> None:
        super().__init__(settings, answer_mode)
        if judges is None:
            if not self.settings.judges:
                raise InputError("the judge metric needs a judge model: set metrics.judge."
                                 "judges in the task or pass --judge MODEL_SPEC",
                                 field="metrics.judge.judges")
            judges = [self._describe(text) for text in self.settings.judges]
        self.judges = [dict(j) for j in judges]
        self.labels = [str(j["label"]) for j in self.judges]
        if len(set(self.labels)) != len(self.labels):
            raise InputError(f"two judges share a label ({', '.join(self.labels)}): name them "
                             "apart (ADAPTER:NAME,model=...)", field="metrics.judge.judges")

    def _describe(self, text: str) -> dict[str, Any]:
        """What identifies a judge in the report: label, adapter, model, generation, format."""
        spec, own = split_spec(text)
        structured = own.get("structured", self.settings.structured_output)
        if structured not in STRUCTURED:
            raise InputError(f"structured is one of {', '.join(STRUCTURED)}, got {structured!r}",
                             field="--judge")
        s = self.settings
        generation = {"temperature": s.temperature, "max_tokens": s.max_tokens, "seed": s.seed,
                      **spec.generation}
        return {"label": spec.label, "adapter": spec.adapter,
                "model": str(spec.options.get("model") or spec.name or spec.adapter),
                "generation": generation, "structured_output": structured}

    @classmethod
    def from_recorded(cls, recorded: Mapping[str, Any] | None) -> Judge:
        recorded = dict(recorded or {})
        settings = JudgeSettings(
            language=recorded.get("rubric", {}).get("language", "ar"),
            dimensions=tuple(recorded.get("dimensions", DIMENSIONS)),
            claims=bool(recorded.get("claims", True)))
        return cls(settings, judges=recorded.get("judges") or [])

    def record_settings(self) -> dict[str, Any]:
        s = self.settings
        return {
            "rubric": {"version": RUBRIC_VERSION, "language": s.language,
                       "hash": rubric_hash(s.language, s.dimensions, s.claims)},
            "dimensions": list(s.dimensions), "claims": s.claims, "scale": list(SCALE),
            "judges": self.judges,
        }

    # -- values --------------------------------------------------------------------------
    def _measures(self) -> list[str]:
        return [*self.settings.dimensions, *([CLAIMS] if self.settings.claims else [])]

    def values(self) -> dict[str, Value]:
        out = {f"judge_{m}": Value() for m in self._measures()}
        out["judge_invalid_rate"] = Value(higher_is_better=False, tested=False)
        if len(self.labels) > 1:
            out.update({f"judge_{m}@{label}": Value(headline=False)
                        for label in self.labels for m in self._measures()})
            out.update({f"judge_alpha_{d}": Value(headline=False, tested=False)
                        for d in self.settings.dimensions})
        return out

    @staticmethod
    def _one(verdict: Mapping[str, Any], measure: str) -> float | None:
        if measure == CLAIMS:
            value = verdict.get(CLAIMS)
            return None if value is None else float(value)
        dims = verdict.get("dimensions") or {}
        return float(dims[measure]["score"]) if measure in dims else None

    def example_value(self, record: Record, name: str) -> float | None:
        measure, _, label = name.removeprefix("judge_").partition("@")
        if measure.startswith("alpha_"):
            raise KeyError(f"{name} is a run-level agreement, not a per-example value")
        if not answered(record):
            return None if measure == "invalid_rate" else (
                0.0 if measure == CLAIMS else float(SCALE[0]))
        verdicts = (record["scores"].get("judge") or {})
        if measure == "invalid_rate":
            asked = [v.get(k) for v in verdicts.values()
                     for k in ("dimensions_invalid", "claims_invalid") if k in v]
            return sum(x is not None for x in asked) / len(asked) if asked else None
        chosen = [verdicts[label]] if label else list(verdicts.values())
        found = [x for v in chosen if v is not None and (x := self._one(v, measure)) is not None]
        return sum(found) / len(found) if found else None

    def _column(self, records: Sequence[Record], name: str) -> list[float]:
        return [v for r in records if (v := self.example_value(r, name)) is not None]

    def aggregate(self, records: Sequence[Record], bootstrap: BootstrapConfig) -> Aggregate:
        from harness.scoring.bootstrap import mean_ci

        def mean(rows: Sequence[Record], name: str) -> Entry:
            column = self._column(rows, name)
            return entry(sum(column) / len(column), mean_ci(column, bootstrap)) if column \
                else entry(None)

        done = [r for r in records if answered(r)]
        values: dict[str, Entry] = {}
        answered_values: dict[str, Entry] = {}
        for name in self.values():
            if name.startswith("judge_alpha_"):
                values[name] = answered_values[name] = entry(self._alpha(done, name[12:]))
            else:
                values[name], answered_values[name] = mean(records, name), mean(done, name)
        return Aggregate(values, answered_values, {"judge": self._usage(done)})

    def _alpha(self, records: Sequence[Record], dimension: str) -> float | None:
        from harness.judging.agreement import ordinal_alpha

        units = []
        for r in records:
            verdicts = r["scores"].get("judge") or {}
            units.append([None if verdicts.get(label) is None else
                          ((verdicts[label].get("dimensions") or {}).get(dimension) or {})
                          .get("score") for label in self.labels])
        return ordinal_alpha(units)

    def _usage(self, records: Sequence[Record]) -> dict[str, Any]:
        usage: dict[str, dict[str, Any]] = {}
        invalid: dict[str, int] = {}
        for r in records:
            for label, verdict in (r["scores"].get("judge") or {}).items():
                total = usage.setdefault(label, {"calls": 0, "cached": 0, "prompt_tokens": 0,
                                                 "completion_tokens": 0, "cost_usd": 0.0})
                for key, value in (verdict.get("usage") or {}).items():
                    total[key] = None if value is None or total[key] is None \
                        else total[key] + value
                invalid[label] = invalid.get(label, 0) + sum(
                    verdict.get(k) is not None for k in ("dimensions_invalid", "claims_invalid"))
        return {"usage": usage, "invalid_answers": invalid}

    def paired_test(self, name: str, base: Sequence[Record], candidate: Sequence[Record],
                    config: BootstrapConfig) -> PairedResult:
        from harness.scoring.significance import paired_bootstrap_mean

        pairs = [(a, b) for x, y in zip(base, candidate, strict=True)
                 if (a := self.example_value(x, name)) is not None
                 and (b := self.example_value(y, name)) is not None]
        return paired_bootstrap_mean([a for a, _ in pairs], [b for _, b in pairs], config,
                                     metric=name)

    def example_detail(self, record: Record) -> list[tuple[str, str]]:
        """Each judge's scores with justifications, and the claims it did not find supported."""
        out = []
        for label, verdict in ((record.get("scores") or {}).get("judge") or {}).items():
            lines = [f"{d}: {v['score']}: {v['justification']}"
                     for d, v in (verdict.get("dimensions") or {}).items()]
            lines += [f"[{c['label']}] {c['claim']}" for c in verdict.get("claims") or []
                      if c["label"] != CLAIM_LABELS[0]]
            lines += [f"invalid answer: {verdict[k]}" for k in ("dimensions_invalid",
                                                               "claims_invalid") if verdict.get(k)]
            out.append((f"judge {label}", "\n".join(lines)))
        return out

    # -- scoring -------------------------------------------------------------------------
    async def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        import asyncio  # not at import: loading a task file must stay cheap

        from harness.adapters.registry import create_adapter

        adapters = {label: create_adapter(split_spec(text)[0])
                    for label, text in zip(self.labels, self.settings.judges, strict=True)}
        info = dict(zip(self.labels, self.judges, strict=True))
        gate = asyncio.Semaphore(self.settings.concurrency)
        try:
            judged = await asyncio.gather(*(
                self._judge(adapter, info[label], item, gate) for item in items
                if item.prediction is not None for label, adapter in adapters.items()))
        finally:
            for adapter in adapters.values():
                await adapter.aclose()
        out: list[dict[str, Any]] = [{} for _ in items]
        verdicts = iter(judged)
        for index, item in enumerate(items):
            if item.prediction is not None:
                out[index] = {"judge": {label: next(verdicts) for label in adapters}}
        return out

    async def _judge(self, adapter: Any, judge: Mapping[str, Any], item: Item,
                     gate: asyncio.Semaphore) -> dict[str, Any]:
        from harness.adapters.base import GenerationSettings
        from harness.judging import parse, rubrics
        from harness.judging.calls import Usage, ask

        s = self.settings
        article, summary = str(item.fields["article"]), item.prediction or ""
        references = [str(r) for r in item.fields.get("references") or []]
        usage = Usage()
        result: dict[str, Any] = {}

        async def question(messages: Any, parser: Any, schema: Any) -> Verdict:
            async with gate:
                verdict = await ask(
                    adapter, example_id=item.id, messages=messages, parse=parser,
                    generation=GenerationSettings(**judge["generation"]), language=s.language,
                    response_format=response_format_for(judge["structured_output"], schema))
            for key, value in verdict.usage.as_dict().items():
                setattr(usage, key, getattr(usage, key) + value if value is not None
                        and getattr(usage, key) is not None else None)
            return verdict

        dims = await question(
            rubrics.dimensions_messages(s.language, s.dimensions, article, references, summary),
            lambda text: parse.parse_dimensions(text, s.dimensions),
            rubrics.dimensions_schema(s.dimensions))
        result.update(dimensions=dims.value, dimensions_invalid=dims.invalid)
        if s.claims:
            claims = await question(rubrics.claims_messages(s.language, article, summary),
                                    parse.parse_claims, rubrics.claims_schema())
            flat = " ".join(article.split())
            for claim in claims.value or []:  # is the quoted sentence really the article's?
                claim["evidence_in_article"] = bool(claim["evidence"]) and " ".join(
                    claim["evidence"].split()) in flat
            result.update(claims=claims.value, claims_invalid=claims.invalid,
                          claims_supported=(None if claims.value is None
                                            else parse.supported_share(claims.value)))
        result["usage"] = usage.as_dict()
        return result

