"""Knowledge-base gaps: the questions the bot could not answer, grouped so editors see what to write next."""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kb.text import terms
from ticketing.kb.models import KbGap


def normalise(question: str, language: str) -> str:
    """Questions that differ only in accents, stop words, word order or inflection share a key."""
    return " ".join(sorted(set(terms(question, language))))[:500] or question.strip().lower()[:500]


def record_gap(
    session: Session,
    *,
    question: str,
    language: str,
    conversation_id: str | None,
    best_article_id: str | None,
    best_score: float | None,
    now: datetime,
) -> KbGap:
    gap = KbGap(
        question=question,
        normalized=normalise(question, language),
        language=language,
        conversation_id=conversation_id,
        best_article_id=best_article_id,
        best_score=best_score,
        created_at=now,
    )
    session.add(gap)
    session.commit()
    return gap


def grouped_gaps(session: Session, *, language: str | None = None, limit: int = 50) -> list[dict]:
    """Groups of unanswered questions, most recently asked first, each with its count and examples."""
    query = select(
        KbGap.normalized,
        KbGap.language,
        func.count(KbGap.id).label("count"),
        func.max(KbGap.created_at).label("last_asked_at"),
    ).where(KbGap.handled_at.is_(None))
    query = query.group_by(KbGap.normalized, KbGap.language)
    if language:
        query = query.where(KbGap.language == language)
    groups = session.execute(query.order_by(func.max(KbGap.created_at).desc()).limit(limit)).all()
    out = []
    for normalized, lang, count, last_asked_at in groups:
        examples = session.scalars(
            select(KbGap)
            .where(KbGap.normalized == normalized, KbGap.language == lang, KbGap.handled_at.is_(None))
            .order_by(KbGap.created_at.desc())
            .limit(3)
        ).all()
        out.append(
            {
                "question": examples[0].question,
                "language": lang,
                "count": count,
                "last_asked_at": last_asked_at,
                "examples": [e.question for e in examples],
                "closest_article": examples[0].best_article_id,
            }
        )
    return out


def mark_handled(session: Session, *, question: str, language: str, actor: str, now: datetime) -> int:
    """Mark every open question of the group this question belongs to as handled; how many were."""
    result = session.execute(
        update(KbGap)
        .where(
            KbGap.normalized == normalise(question, language),
            KbGap.language == language,
            KbGap.handled_at.is_(None),
        )
        .values(handled_at=now, handled_by=actor)
    )
    session.commit()
    return result.rowcount
