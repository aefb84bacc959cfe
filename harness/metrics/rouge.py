"""ROUGE-1/2/L/Lsum F1 (with precision and recall) over Arabic-correct tokens.

Per example, the best reference per type (`rouge_score`'s `score_multi`); per run, the mean with
a seeded bootstrap CI; between runs, a paired bootstrap of the mean difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from harness.metrics.base import Aggregate, Entry, Item, Metric, Record, Value, answered, entry
from harness.metrics.registry import register_metric
from harness.scoring.rouge_fast import ROUGE_TYPES, RougeType
from harness.text import NormalizationOptions
from harness.text.stopwords import DEFAULT_XLSUM_STOPWORDS, StopwordListName

if TYPE_CHECKING:
    import numpy as np

    from harness.scoring.bootstrap import BootstrapConfig
    from harness.scoring.significance import PairedResult

PARTS: dict[str, str] = {"": "fmeasure", "_precision": "precision", "_recall": "recall"}
MULTI_REFERENCE_RULE = "best F1 per type (rouge_score score_multi)"
LSUM_SENTENCE_RULE = "normalized text split on . ! ? ؟ ۔ … and line breaks"
# Compatibility presets: the harness's own definition, or another scorer's, to match
# published figures (harness.text.presets says what each reproduces).
Preset = Literal["harness", "rouge_score_lines", "xlsum"]
_OPTION_CODES = {"nfkc": "nfkc", "strip_invisible": "inv", "strip_diacritics": "diac",
                 "strip_tatweel": "tatweel", "unify_alef": "alef", "unify_yeh": "yeh",
                 "ascii_digits": "digits", "ta_marbuta": "ta", "lowercase": "lc",
                 "stem": "stem"}


class RougeSettings(BaseModel):
    """`metrics.rouge` in a task file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    types: tuple[RougeType, ...] = ROUGE_TYPES  # type: ignore[assignment]
    normalization: NormalizationOptions = NormalizationOptions()
    preset: Preset = "harness"
    # Which of NLTK's Arabic stopword lists the xlsum preset's stemmer leaves unstemmed: the
    # list of XL-Sum's publication (default) or today's (harness.text.stopwords).
    xlsum_stopwords: StopwordListName = DEFAULT_XLSUM_STOPWORDS

    hashed_when_set: ClassVar[frozenset[str]] = frozenset({"preset", "xlsum_stopwords"})

    @field_validator("types", mode="before")
    @classmethod
    def _known_types(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and not value:
            raise ValueError("give at least one ROUGE type")
        for name in value if isinstance(value, list | tuple) else [value]:
            if name not in ROUGE_TYPES:
                raise ValueError(
                    f"unknown ROUGE type {name!r} (known: {', '.join(ROUGE_TYPES)})")
        return value

    @model_validator(mode="after")
    def _xlsum_has_its_own_normalization(self) -> RougeSettings:
        if self.preset == "xlsum" and self.normalization != NormalizationOptions():
            raise ValueError("the xlsum preset normalizes as XL-Sum's scorer does; "
                             "leave 'normalization' out")
        if self.preset != "xlsum" and self.xlsum_stopwords != DEFAULT_XLSUM_STOPWORDS:
            raise ValueError("'xlsum_stopwords' applies to the xlsum preset only")
        if self.preset == "xlsum":  # fail before any model is called, not when scoring
            from harness.errors import InputError
            from harness.text.stopwords import load_stopwords

            try:
                load_stopwords(self.xlsum_stopwords)
            except InputError as exc:
                raise ValueError(exc.message) from None
        return self

    def tokenizer(self) -> Any:
        """The tokenizer the preset scores with (`harness.scoring.rouge.Tokenizer`)."""
        from harness.text import ArabicTokenizer

        if self.preset == "xlsum":
            from harness.text.presets import XLSumTokenizer

            return XLSumTokenizer(stopwords=self.xlsum_stopwords)
        tokenizer = ArabicTokenizer(self.normalization)
        if self.preset == "rouge_score_lines":
            from harness.text.presets import NewlineSentences

            return NewlineSentences(tokenizer)
        return tokenizer


def signature(recorded: Mapping[str, Any]) -> str:
    """A sacreBLEU-like one-line identity of a ROUGE setting: two figures are comparable only
    when their signatures are equal (tokenizer id and version, each normalization option,
    stemmer, rougeLsum sentence rule, multi-reference rule, preset)."""
    tok = recorded.get("tokenizer") or {}
    options = tok.get("options")
    if "stemmer" in tok:  # a preset's own tokenizer names its stemmer (harness.text.presets)
        norm, stem = "xlsum", str(tok["stemmer"])
    elif isinstance(options, Mapping):
        norm = "+".join(code for name, code in _OPTION_CODES.items() if options.get(name)) or "none"
        stem = "snowball-ar" if options.get("stem") else "no"
    else:
        norm, stem = "?", "?"
    lsum = str(recorded.get("lsum_sentences", ""))
    lsum_code = "lines" if "only" in lsum else "punct+lines"
    multi = "max-f1" if recorded.get("multi_reference") == MULTI_REFERENCE_RULE else "?"
    return (f"rouge|preset:{recorded.get('preset', 'harness')}|tok:{tok.get('id')}@"
            f"{tok.get('version')}|norm:{norm}|stem:{stem}|lsum:{lsum_code}|multiref:{multi}")

def _split(name: str) -> tuple[str, str]:
    """`rougeL` → (rougeL, fmeasure); `rougeL_precision` → (rougeL, precision)."""
    rouge_type, _, part = name.partition("_")
    return rouge_type, PARTS["_" + part if part else ""]


@register_metric("rouge")
class Rouge(Metric):
    Settings: ClassVar[type[BaseModel]] = RougeSettings
    requires: ClassVar[frozenset[str]] = frozenset({"references"})
    hashed_when_absent: ClassVar[bool] = True
    settings: RougeSettings

    @classmethod
    def from_recorded(cls, recorded: Mapping[str, Any] | None) -> Rouge:
        return cls(RougeSettings(types=tuple((recorded or {}).get("types", ROUGE_TYPES))))

    def record_settings(self) -> dict[str, Any]:
        tokenizer = self.settings.tokenizer().describe()
        out = {
            "types": list(self.settings.types),
            "preset": self.settings.preset,
            "multi_reference": MULTI_REFERENCE_RULE,
            "lsum_sentences": tokenizer.pop("sentences", LSUM_SENTENCE_RULE),
            "tokenizer": tokenizer,
        }
        return {**out, "signature": signature(out)}

    def values(self) -> dict[str, Value]:
        return {rouge_type + suffix: Value(headline=not suffix)
                for rouge_type in self.settings.types for suffix in PARTS}

    @property
    def primary(self) -> str:
        return "rougeL" if "rougeL" in self.settings.types else self.settings.types[0]

    async def score(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        from harness.scoring.rouge import score_batch

        done = [i for i, item in enumerate(items) if item.prediction is not None]
        results = score_batch([items[i].prediction or "" for i in done],
                              [items[i].fields["references"] for i in done],
                              self.settings.tokenizer(), self.settings.types)
        out: list[dict[str, Any]] = [{} for _ in items]
        for index, result in zip(done, results, strict=True):
            out[index] = {t: {"precision": s.precision, "recall": s.recall,
                              "fmeasure": s.fmeasure} for t, s in result.items()}
        return out

    def example_value(self, record: Record, name: str) -> float | None:
        if not answered(record):
            return 0.0
        rouge_type, part = _split(name)
        return float(record["scores"][rouge_type][part])

    def _column(self, records: Sequence[Record], name: str) -> np.ndarray:
        import numpy as np  # only when scoring: loading a task file must stay cheap

        return np.array([self.example_value(r, name) for r in records], dtype=np.float64)

    def aggregate(self, records: Sequence[Record], bootstrap: BootstrapConfig) -> Aggregate:
        from harness.scoring.bootstrap import mean_ci

        done = [r for r in records if answered(r)]

        def mean(rows: Sequence[Record], name: str) -> Entry:
            if not rows:
                return entry(None)
            values = self._column(rows, name)
            return entry(float(values.mean()), mean_ci(values, bootstrap))

        names = list(self.values())
        return Aggregate(values={n: mean(records, n) for n in names},
                         answered={n: mean(done, n) for n in names})

    def paired_test(self, name: str, base: Sequence[Record], candidate: Sequence[Record],
                    config: BootstrapConfig) -> PairedResult:
        from harness.scoring.significance import paired_bootstrap_mean

        return paired_bootstrap_mean(self._column(base, name), self._column(candidate, name),
                                     config, metric=name)
