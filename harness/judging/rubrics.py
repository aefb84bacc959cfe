"""The judge's rubric prompts: versioned data, in Arabic (default) and English.

A rubric's text decides what its scores mean, so its hash (with the version) goes into the
report's `metric_settings`: runs judged with different rubrics are not comparable. Change a
prompt → bump `RUBRIC_VERSION`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from harness.jsonio import content_hash

RUBRIC_VERSION = "1"
DIMENSIONS: tuple[str, ...] = ("faithfulness", "coverage", "fluency", "conciseness")
CLAIM_LABELS: tuple[str, ...] = ("supported", "contradicted", "not_in_article")
SCALE: tuple[int, int] = (1, 5)
Language = Literal["ar", "en"]

_TEXT: dict[str, dict[str, Any]] = {
    "ar": {
        "system": "أنت مقيّم صارم ومحايد لملخصات الأخبار العربية. تحكم على الملخص بالاعتماد على "
                  "المقال وحده، ولا تضيف معرفة من خارجه. تجيب بكائن JSON فقط.",
        "dimensions": {
            "faithfulness": "الأمانة: كل ما يذكره الملخص مدعوم بالمقال، بلا تحريف ولا إضافة "
                            "(5 = لا خطأ إطلاقاً، 1 = أخطاء جوهرية أو معلومات مختلقة).",
            "coverage": "التغطية: يذكر الملخص النقاط الرئيسية في المقال (5 = كل النقاط المهمة، "
                        "1 = يغفل الفكرة الأساسية). الملخصات المرجعية، إن وُجدت، دليل فقط.",
            "fluency": "السلاسة: عربية فصيحة سليمة التركيب والنحو ومفهومة (5 = ممتازة، "
                       "1 = غير مفهومة أو ليست بالعربية).",
            "conciseness": "الإيجاز: لا حشو ولا تكرار ولا نسخ مطوّل من المقال (5 = موجز تماماً، "
                           "1 = مطوّل أو منسوخ).",
        },
        "dimensions_task": "قيّم الملخص في كل بُعد من الأبعاد التالية بعدد صحيح من 1 إلى 5، "
                           "مع جملة واحدة تبرّر الدرجة:",
        "dimensions_format": 'أجب بكائن JSON فقط بهذا الشكل: {"<البعد>": {"score": <1-5>, '
                             '"justification": "<جملة واحدة>"}, ...} بالمفاتيح: ',
        "claims_task": "قسّم الملخص إلى ادعاءات ذرّية (كل ادعاء حقيقة واحدة)، وصنّف كل ادعاء: "
                       "supported (مدعوم بالمقال)، contradicted (يناقض المقال)، not_in_article "
                       "(غير وارد في المقال). للادعاء المدعوم انقل الجملة الداعمة من المقال حرفياً.",
        "claims_format": 'أجب بكائن JSON فقط بهذا الشكل: {"claims": [{"claim": "<الادعاء>", '
                         '"label": "supported|contradicted|not_in_article", '
                         '"evidence": "<الجملة من المقال أو سلسلة فارغة>"}]}',
        "article": "المقال:", "references": "ملخصات مرجعية (للاسترشاد فقط):",
        "summary": "الملخص المطلوب تقييمه:",
        "retry": "تعذّر قراءة إجابتك: {error}. أعد الإجابة بكائن JSON صالح فقط بالشكل المطلوب.",
    },
    "en": {
        "system": "You are a strict, impartial judge of Arabic news summaries. Judge the summary "
                  "against the article alone, adding no outside knowledge. Answer with a JSON "
                  "object only.",
        "dimensions": {
            "faithfulness": "Faithfulness: everything the summary states is supported by the "
                            "article (5 = no error at all, 1 = major errors or invented facts).",
            "coverage": "Coverage: the summary states the article's main points (5 = all key "
                        "points, 1 = misses the main point). Reference summaries, if given, "
                        "are a guide only.",
            "fluency": "Fluency: well-formed, grammatical, understandable Modern Standard Arabic "
                       "(5 = excellent, 1 = not understandable or not Arabic).",
            "conciseness": "Conciseness: no padding, repetition or long copying from the "
                           "article (5 = fully concise, 1 = padded or copied).",
        },
        "dimensions_task": "Rate the summary on each of the following dimensions with an "
                           "integer from 1 to 5 and one sentence justifying the score:",
        "dimensions_format": 'Answer with a JSON object only, shaped {"<dimension>": {"score": '
                             '<1-5>, "justification": "<one sentence>"}, ...} with the keys: ',
        "claims_task": "Split the summary into atomic claims (one fact each) and label each: "
                       "supported (by the article), contradicted (by the article), "
                       "not_in_article. For a supported claim, quote the article's supporting "
                       "sentence verbatim.",
        "claims_format": 'Answer with a JSON object only, shaped {"claims": [{"claim": '
                         '"<claim>", "label": "supported|contradicted|not_in_article", '
                         '"evidence": "<sentence from the article, or empty>"}]}',
        "article": "Article:", "references": "Reference summaries (a guide only):",
        "summary": "Summary to judge:",
        "retry": "Your answer could not be read: {error}. Answer again with a valid JSON object "
                 "only, in the requested shape.",
    },
}


def rubric_hash(language: Language, dimensions: Sequence[str], claims: bool) -> str:
    """What the recorded settings pin: every prompt text the judge can be sent."""
    text = _TEXT[language]
    used = {**text, "dimensions": {d: text["dimensions"][d] for d in dimensions},
            "claims": claims}
    return content_hash({"version": RUBRIC_VERSION, "language": language, "text": used})


def _context(language: Language, article: str, references: Sequence[str], summary: str,
             with_references: bool) -> str:
    text = _TEXT[language]
    parts = [f"{text['article']}\n{article}"]
    if with_references and references:
        parts.append(text["references"] + "\n" + "\n".join(f"- {r}" for r in references))
    parts.append(f"{text['summary']}\n{summary}")
    return "\n\n".join(parts)


def dimensions_messages(language: Language, dimensions: Sequence[str], article: str,
                        references: Sequence[str], summary: str) -> list[dict[str, str]]:
    """The chat messages asking for the 1–5 dimension scores."""
    text = _TEXT[language]
    rules = "\n".join(f"- {d}: {text['dimensions'][d]}" for d in dimensions)
    user = "\n\n".join([_context(language, article, references, summary, True),
                        f"{text['dimensions_task']}\n{rules}",
                        text["dimensions_format"] + ", ".join(dimensions)])
    return [{"role": "system", "content": text["system"]}, {"role": "user", "content": user}]


def claims_messages(language: Language, article: str, summary: str) -> list[dict[str, str]]:
    """The chat messages asking for the summary's atomic claims, each labelled."""
    text = _TEXT[language]
    user = "\n\n".join([_context(language, article, (), summary, False), text["claims_task"],
                        text["claims_format"]])
    return [{"role": "system", "content": text["system"]}, {"role": "user", "content": user}]


def retry_message(language: Language, error: str) -> dict[str, str]:
    """The follow-up turn after an answer that could not be parsed."""
    return {"role": "user", "content": _TEXT[language]["retry"].format(error=error)}


def dimensions_schema(dimensions: Sequence[str]) -> dict[str, Any]:
    """JSON schema of the dimensions answer (sent as `response_format` when enabled)."""
    lo, hi = SCALE
    item = {"type": "object", "additionalProperties": False,
            "required": ["score", "justification"],
            "properties": {"score": {"type": "integer", "minimum": lo, "maximum": hi},
                           "justification": {"type": "string"}}}
    return {"type": "object", "additionalProperties": False, "required": list(dimensions),
            "properties": {d: item for d in dimensions}}


def claims_schema() -> dict[str, Any]:
    claim = {"type": "object", "additionalProperties": False,
             "required": ["claim", "label", "evidence"],
             "properties": {"claim": {"type": "string"},
                            "label": {"type": "string", "enum": list(CLAIM_LABELS)},
                            "evidence": {"type": "string"}}}
    return {"type": "object", "additionalProperties": False, "required": ["claims"],
            "properties": {"claims": {"type": "array", "items": claim, "minItems": 1}}}


_PAIRWISE: dict[str, dict[str, str]] = {
    "ar": {"task": "أمامك ملخصان للمقال نفسه. أيهما أفضل إجمالاً (الأمانة للمقال أولاً، ثم "
                   "التغطية، ثم السلاسة والإيجاز)؟",
           "first": "الملخص 1:", "second": "الملخص 2:",
           "format": 'أجب بكائن JSON فقط: {"better": "1" أو "2" أو "tie", '
                     '"justification": "<جملة واحدة>"}'},
    "en": {"task": "Here are two summaries of the same article. Which is better overall "
                   "(faithfulness to the article first, then coverage, then fluency and "
                   "conciseness)?",
           "first": "Summary 1:", "second": "Summary 2:",
           "format": 'Answer with a JSON object only: {"better": "1" or "2" or "tie", '
                     '"justification": "<one sentence>"}'},
}


def pairwise_hash(language: Language) -> str:
    return content_hash({"version": RUBRIC_VERSION, "language": language,
                         "text": {**_TEXT[language], "pairwise": _PAIRWISE[language]}})


def pairwise_messages(language: Language, article: str, first: str,
                      second: str) -> list[dict[str, str]]:
    """The chat messages asking which of two summaries is better (shown in this order)."""
    text, pair = _TEXT[language], _PAIRWISE[language]
    user = "\n\n".join([f"{text['article']}\n{article}", f"{pair['first']}\n{first}",
                        f"{pair['second']}\n{second}", pair["task"], pair["format"]])
    return [{"role": "system", "content": text["system"]}, {"role": "user", "content": user}]
