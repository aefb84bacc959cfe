"""An LLM judge of summaries: 1–5 scores on rubric dimensions and claim-level faithfulness.

Each judge (a model spec, set in `metrics.judge.judges` or with `harness run --judge`) is asked
through the model layer, so its calls are cached, retried, limited and resumable, and its tokens
and cost are reported apart from the evaluated model's (`details.judge.usage`). An answer that
cannot be parsed is retried once with the parse error, then counted invalid
(`judge_invalid_rate`); a call that fails (no answer after the layer's retries) is errored
(`judge_error_rate`), not cached and asked again by the next run. Neither is scored 0 or
guessed. A judge spec with `batch=true` (the run's `--batch` gives it) is asked through
provider batches. With several judges the headline is the mean across judges, each judge's
values are reported, and their agreement is Krippendorff's ordinal alpha. The rubric (version,
language, text hash), the judges and their generation settings are recorded, so runs judged
differently are not comparable.
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
    from harness.scoring.bootstrap import BootstrapConfig
    from harness.scoring.significance import PairedResult

Structured = Literal["json_schema", "json_object", "none"]
STRUCTURED: tuple[str, ...] = get_args(Structured)
Dimension = Literal["faithfulness", "coverage", "fluency", "conciseness"]
CLAIMS = "claims_supported"
# How the values are computed; recorded, so a report keeps the meaning it was written with.
# 2: a failed judge call is errored (judge_error_rate), no longer counted in judge_invalid_rate.
VERSION = "2"
QUESTIONS = ("dimensions", "claims")  # a verdict's questions: `<q>_invalid`, `<q>_error` each


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
                 judges: Sequence[Mapping[str, Any]] | None = None,
                 version: str = VERSION) -> None:
        super().__init__(settings, answer_mode)
        self.version = version
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
        return cls(settings, judges=recorded.get("judges") or [],
                   version=str(recorded.get("version", "1")))

    def record_settings(self) -> dict[str, Any]:
        s = self.settings
        return {
            "version": self.version,
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
        if self.version != "1":
            out["judge_error_rate"] = Value(higher_is_better=False, tested=False)
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
        rate = measure in ("invalid_rate", "error_rate")
        if not answered(record):
            return None if rate else (0.0 if measure == CLAIMS else float(SCALE[0]))
        verdicts = (record["scores"].get("judge") or {})
        if rate:
            return self._rate(verdicts.values(), measure)
        chosen = [verdicts[label]] if label else list(verdicts.values())
        found = [x for v in chosen if v is not None and (x := self._one(v, measure)) is not None]
        return sum(found) / len(found) if found else None

    @staticmethod
    def _rate(verdicts: Any, measure: str) -> float | None:
        """Of one example's questions: the share whose call failed (error_rate), or of those
        answered, the share whose answer stayed unparseable (invalid_rate)."""
        asked = [(v.get(f"{q}_invalid"), v.get(f"{q}_error")) for v in verdicts if v
                 for q in QUESTIONS if f"{q}_invalid" in v]
        if measure == "error_rate":
            return sum(e is not None for _, e in asked) / len(asked) if asked else None
        got = [i for i, e in asked if e is None]
        return sum(i is not None for i in got) / len(got) if got else None

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
        errored: dict[str, int] = {}
        for r in records:
            for label, verdict in (r["scores"].get("judge") or {}).items():
                total = usage.setdefault(label, {"calls": 0, "cached": 0, "batch": 0,
                                                 "prompt_tokens": 0, "completion_tokens": 0,
                                                 "cost_usd": 0.0})
                for key, value in (verdict.get("usage") or {}).items():
                    total[key] = None if value is None or total[key] is None \
                        else total[key] + value
                invalid[label] = invalid.get(label, 0) + sum(
                    verdict.get(f"{q}_invalid") is not None for q in QUESTIONS)
                errored[label] = errored.get(label, 0) + sum(
                    verdict.get(f"{q}_error") is not None for q in QUESTIONS)
        return {"usage": usage, "invalid_answers": invalid, "errored_questions": errored}

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
            lines += [f"invalid answer: {verdict[f'{q}_invalid']}" for q in QUESTIONS
                      if verdict.get(f"{q}_invalid")]
            lines += [str(verdict[f"{q}_error"]) for q in QUESTIONS if verdict.get(f"{q}_error")]
            out.append((f"judge {label}", "\n".join(lines)))
        return out

    # -- scoring -------------------------------------------------------------------------
    async def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        import asyncio  # not at import: loading a task file must stay cheap

        from harness.adapters.registry import create_adapter
        from harness.judging.summaries import judge_summaries

        adapters = {label: create_adapter(split_spec(text)[0])
                    for label, text in zip(self.labels, self.settings.judges, strict=True)}
        info = dict(zip(self.labels, self.judges, strict=True))
        gate = asyncio.Semaphore(self.settings.concurrency)
        judged = [item for item in items if item.prediction is not None]
        try:
            verdicts = await asyncio.gather(*(
                judge_summaries(adapter, info[label], self.settings, judged, gate)
                for label, adapter in adapters.items()))
        finally:
            for adapter in adapters.values():
                await adapter.aclose()
        by_label = dict(zip(adapters, (iter(v) for v in verdicts), strict=True))
        return [{"judge": {label: next(found) for label, found in by_label.items()}}
                if item.prediction is not None else {} for item in items]
