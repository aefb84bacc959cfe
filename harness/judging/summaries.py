"""One judge's questions about summaries, and each summary's verdict from their answers.

Per summary: the rubric's dimensions, then (with `claims`) its claims. All questions of a run
are handed to `ask_all` at once, so a judge that batches sends them as one batch (and the
retries as a second).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.metrics.base import Item

if TYPE_CHECKING:
    import asyncio

    from harness.metrics.judge import JudgeSettings


async def judge_summaries(adapter: Any, judge: Mapping[str, Any], settings: JudgeSettings,
                          items: Sequence[Item], gate: asyncio.Semaphore
                          ) -> list[dict[str, Any]]:
    """Per item (each with a prediction): scores, claims, why any is missing, and usage."""
    from harness.adapters.base import GenerationSettings
    from harness.judging import parse, rubrics
    from harness.judging.calls import Question, Usage, ask_all
    from harness.metrics.judge import response_format_for

    s = settings
    generation = GenerationSettings(**judge["generation"])

    def question(item: Item, messages: Any, parser: Any, schema: Any) -> Question:
        return Question(item.id, messages, parser, generation, s.language,
                        response_format_for(judge["structured_output"], schema))

    questions = []
    for item in items:
        article, summary = str(item.fields["article"]), item.prediction or ""
        references = [str(r) for r in item.fields.get("references") or []]
        questions.append(question(
            item, rubrics.dimensions_messages(s.language, s.dimensions, article, references,
                                              summary),
            lambda text: parse.parse_dimensions(text, s.dimensions),
            rubrics.dimensions_schema(s.dimensions)))
        if s.claims:
            questions.append(question(item, rubrics.claims_messages(s.language, article, summary),
                                      parse.parse_claims, rubrics.claims_schema()))
    answers = iter(await ask_all(adapter, questions, gate))
    out = []
    for item in items:
        usage = Usage()
        dims = next(answers)
        usage.merge(dims.usage)
        result: dict[str, Any] = {"dimensions": dims.value, "dimensions_invalid": dims.invalid,
                                  "dimensions_error": dims.error}
        if s.claims:
            claims = next(answers)
            usage.merge(claims.usage)
            flat = " ".join(str(item.fields["article"]).split())
            for claim in claims.value or []:  # is the quoted sentence really the article's?
                claim["evidence_in_article"] = bool(claim["evidence"]) and " ".join(
                    claim["evidence"].split()) in flat
            result.update(claims=claims.value, claims_invalid=claims.invalid,
                          claims_error=claims.error,
                          claims_supported=(None if claims.value is None
                                            else parse.supported_share(claims.value)))
        result["usage"] = usage.as_dict()
        out.append(result)
    return out
