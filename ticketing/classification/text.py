"""Words of a ticket, shared by the priority rules and the classifier."""

from kb.text import _TOKEN, detect_language, fold

__all__ = ["detect_language", "fold", "words"]


def words(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))
