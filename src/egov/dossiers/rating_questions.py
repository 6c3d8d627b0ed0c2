"""The satisfaction questions an applicant answers about one settled dossier.

The service index (Decision 766/QĐ-TTg, group "satisfaction": "satisfied with dossier
handling", STANDARDS-VN.md §6) counts the share of rated dossiers whose applicant was
satisfied. The questions follow what the public-service portals ask after a result: the overall
satisfaction with the handling, the time taken against the appointment, the attitude of the
officers, how clear the guidance and the published information were, and how many times the
applicant had to come back to complete the dossier (a criterion of the evaluation of
administrative procedure handling in Decree 61/2018, now Decree 118/2025: to check against the
province's questionnaire). Every answer is one of a fixed list of keys; the overall question
gives the 1–5 score and "satisfied" (very satisfied or satisfied).

A change of wording or of the list is a new `VERSION`: stored ratings keep the version they
were given under, so old answers stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

VERSION = "2026.1"
OVERALL = "overall"

# The five levels of satisfaction, best first, with their score.
VERY_SATISFIED = "very_satisfied"
SATISFIED = "satisfied"
NEUTRAL = "neutral"
DISSATISFIED = "dissatisfied"
VERY_DISSATISFIED = "very_dissatisfied"

LEVELS: tuple[tuple[str, Any], ...] = (
    (VERY_SATISFIED, _("Very satisfied")),
    (SATISFIED, _("Satisfied")),
    (NEUTRAL, _("Neither satisfied nor dissatisfied")),
    (DISSATISFIED, _("Dissatisfied")),
    (VERY_DISSATISFIED, _("Very dissatisfied")),
)
SCORES: dict[str, int] = {
    VERY_SATISFIED: 5,
    SATISFIED: 4,
    NEUTRAL: 3,
    DISSATISFIED: 2,
    VERY_DISSATISFIED: 1,
}
# What the service index counts as "satisfied".
SATISFIED_LEVELS = frozenset({VERY_SATISFIED, SATISFIED})

VISITS: tuple[tuple[str, Any], ...] = (
    ("none", _("None: everything was done in one go")),
    ("once", _("Once")),
    ("twice_or_more", _("Twice or more")),
)


@dataclass(frozen=True)
class Question:
    key: str
    text: Any
    choices: tuple[tuple[str, Any], ...]
    required: bool = True


QUESTIONS: tuple[Question, ...] = (
    Question(
        OVERALL, _("Overall, how satisfied are you with how your dossier was handled?"), LEVELS
    ),
    Question(
        "time", _("How satisfied are you with the time it took, against the appointment?"), LEVELS
    ),
    Question(
        "attitude",
        _("How satisfied are you with the attitude of the officers who served you?"),
        LEVELS,
    ),
    Question(
        "guidance",
        _("How clear were the guidance and the information about the procedure?"),
        LEVELS,
    ),
    Question(
        "visits",
        _("How many times did you have to come back or get in touch to complete the dossier?"),
        VISITS,
    ),
)
COMMENT_MAX = 1000


def question_set(version: str = VERSION) -> tuple[Question, ...]:
    """The questions of a version (only the current one exists so far)."""
    if version != VERSION:
        raise KeyError(version)
    return QUESTIONS


def score_of(answers: dict[str, str]) -> int:
    """The 1–5 score of a set of answers: the overall question's level."""
    return SCORES[answers[OVERALL]]


def is_satisfied(answers: dict[str, str]) -> bool:
    return answers[OVERALL] in SATISFIED_LEVELS


def answer_label(question_key: str, answer_key: str, version: str = VERSION) -> Any:
    """The words of a stored answer (for reports and the applicant's own page)."""
    for question in question_set(version):
        if question.key == question_key:
            return dict(question.choices).get(answer_key, answer_key)
    return answer_key
