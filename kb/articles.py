"""KB articles: Markdown files with YAML front matter, `kb_articles/<lang>/<slug>.md`."""

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LANGUAGES = ("es", "en")
REQUIRED = ("id", "title", "language", "category", "questions")
ALLOWED = {*REQUIRED, "tags", "updated", "status", "related"}
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class ArticleError(Exception):
    """An article that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    language: str
    category: str
    questions: tuple[str, ...]
    body: str
    path: Path
    tags: tuple[str, ...] = ()
    updated: str | None = None
    status: str = "published"
    related: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> str:
        """The first paragraph: what the bot sends as the chat answer."""
        return first_paragraph(self.body)

    @property
    def slug(self) -> str:
        return self.path.stem


def first_paragraph(body: str) -> str:
    lines: list[str] = []
    for line in body.strip().splitlines():
        if not line.strip():
            if lines:
                break
            continue
        if line.lstrip().startswith("#") and not lines:
            continue
        lines.append(line.strip())
    return " ".join(lines)


def parse_article(path: Path, categories: Collection[str] | None = None) -> Article:
    """Read one article; raise ArticleError saying what is wrong with it.

    `categories` are the business's (its business file's); given, an article of another category is an error.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArticleError(f"{path}: cannot read: {exc}") from None
    if not text.startswith("---"):
        raise ArticleError(f"{path}: missing front matter (the file must start with a '---' line)")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise ArticleError(f"{path}: front matter is not closed with a '---' line")
    try:
        meta = yaml.safe_load(parts[0].removeprefix("---"))
    except yaml.YAMLError as exc:
        raise ArticleError(f"{path}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise ArticleError(f"{path}: front matter must be a mapping of keys")
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    missing = [k for k in REQUIRED if not meta.get(k)]
    if missing:
        raise ArticleError(f"{path}: missing {', '.join(missing)}")
    unknown = sorted(set(meta) - ALLOWED)
    if unknown:
        raise ArticleError(f"{path}: unknown keys {', '.join(unknown)}")
    if not isinstance(meta["id"], str) or not _ID.match(meta["id"]):
        raise ArticleError(f"{path}: id must be lowercase words joined by '-', got {meta['id']!r}")
    if meta["language"] not in LANGUAGES:
        raise ArticleError(f"{path}: language must be one of {', '.join(LANGUAGES)}, got {meta['language']!r}")
    if path.parent.name in LANGUAGES and path.parent.name != meta["language"]:
        raise ArticleError(f"{path}: language {meta['language']!r} but the file is under {path.parent.name}/")
    if not isinstance(meta["category"], str) or (categories is not None and meta["category"] not in categories):
        known = ", ".join(categories or ())
        raise ArticleError(f"{path}: category must be one of the business's ({known}), got {meta['category']!r}")
    questions = meta["questions"]
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        raise ArticleError(f"{path}: questions must be a list of non-empty strings")
    status = meta.get("status", "published")
    if status not in ("published", "draft"):
        raise ArticleError(f"{path}: status must be published or draft, got {status!r}")
    if not first_paragraph(body):
        raise ArticleError(f"{path}: the body is empty; its first paragraph is the chat answer")
    updated = meta.get("updated")
    return Article(
        id=meta["id"],
        title=str(meta["title"]).strip(),
        language=meta["language"],
        category=meta["category"],
        questions=tuple(q.strip() for q in questions),
        body=body.strip(),
        path=path,
        tags=tuple(str(t) for t in (meta.get("tags") or [])),
        updated=updated.isoformat() if isinstance(updated, dt.date) else (str(updated) if updated else None),
        status=status,
        related=tuple(str(r) for r in (meta.get("related") or [])),
    )


def article_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).glob("*/*.md") if p.is_file())


def load_articles(
    root: Path, categories: Collection[str] | None = None, cache: dict | None = None
) -> tuple[list[Article], list[str]]:
    """Every readable article under root, and one error line per broken file (the others still load).

    Given a cache (a dict the caller keeps between calls), a file whose modification time and size are those of
    the last call is not read again: a reload after one article changed parses that one article.
    """
    articles, errors = [], []
    seen = set()
    for path in article_files(root):
        seen.add(path)
        try:
            st = path.stat()
            key = (st.st_mtime_ns, st.st_size)
        except OSError:
            key = None
        cached = cache.get(path) if cache is not None and key is not None else None
        if cached is not None and cached[0] == key:
            result = cached[1]
        else:
            try:
                result = parse_article(path, categories)
            except ArticleError as exc:
                result = str(exc)
            if cache is not None and key is not None:
                cache[path] = (key, result)
        if isinstance(result, Article):
            articles.append(result)
        else:
            errors.append(result)
    if cache is not None:
        for gone in set(cache) - seen:
            del cache[gone]
    return articles, errors
