"""The help center (public pages of the published articles, with search) and the KB-gaps API."""

from datetime import date
from typing import Annotated, Literal

from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from markdown_it import MarkdownIt
from pydantic import StringConstraints

from ticketing.deps import NowDep, PrincipalDep, SessionDep
from ticketing.errors import TooManyRequests, error_responses
from ticketing.kb import service
from ticketing.limits import client_address
from ticketing.settings import REPO_ROOT
from ticketing.validation import InputModel

router = APIRouter(tags=["knowledge base"])
HELP_CSS = REPO_ROOT / "ticketing" / "static" / "help" / "help.css"
# html=False: raw HTML in an article is shown as text, never executed.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")  # editors write tables


class GapIn(InputModel):
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    language: Literal["es", "en"]
    conversation_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    best: dict | None = None


@router.post("/api/v1/kb/gaps", status_code=201, responses=error_responses(400, 401, 413, 422))
def report_gap(gap_in: GapIn, session: SessionDep, principal: PrincipalDep, now: NowDep):
    """Record a question the bot could not answer (the action server calls this in the background)."""
    best = gap_in.best or {}
    score = best.get("score")
    gap = service.record_gap(
        session,
        question=gap_in.question,
        language=gap_in.language,
        conversation_id=gap_in.conversation_id,
        best_article_id=str(best["id"])[:200] if best.get("id") else None,
        best_score=float(score) if isinstance(score, int | float) else None,
        now=now,
    )
    return {"id": gap.id}


@router.get("/api/v1/kb/gaps", responses=error_responses(401, 422))
def list_gaps(
    session: SessionDep,
    principal: PrincipalDep,
    language: Literal["es", "en"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    """Unanswered questions grouped and counted, most recently asked first."""
    return {"items": service.grouped_gaps(session, language=language, limit=limit)}


def _page(request: Request, template: str, language: str, **context) -> HTMLResponse:
    """A help-center page in the business's words (the business file's help_center and category names)."""
    facts = request.app.state.business.config.facts
    words = {
        "lang": language,
        "business_name": facts.name,
        "w": facts.help_center[language],
        "categories": {c: facts.category_name(language, c) for c in facts.categories},
    }
    return request.app.state.templates.TemplateResponse(request, template, words | context)


@router.get("/help/{language}", response_class=HTMLResponse, include_in_schema=False)
def help_home(
    request: Request,
    language: Literal["es", "en"],
    q: Annotated[str | None, Query(max_length=500)] = None,
):
    kb = request.app.state.kb
    if q and q.strip():
        try:
            limit = request.app.state.settings.help_search_per_minute
            request.app.state.limits.hit("help-search", client_address(request), limit=limit, window=60)
        except TooManyRequests as exc:
            page = _page(request, "help_search.html", language, q=q, hits=[], throttled=exc.retry_after)
            page.status_code, page.headers["Retry-After"] = 429, str(exc.retry_after)
            return page
        decision = kb.decide(q, language)
        hits = decision.hits if decision.action != "decline" else []
        return _page(request, "help_search.html", language, q=q, hits=hits, answered=decision.action == "answer")
    by_category = {c: [] for c in request.app.state.business.config.facts.categories}
    for article in sorted(kb.articles, key=lambda a: a.title):
        if article.language == language and article.category in by_category:
            by_category[article.category].append(article)
    return _page(request, "help_home.html", language, by_category={k: v for k, v in by_category.items() if v})


@router.get("/help/assets/help.css", include_in_schema=False)
def help_styles():
    return FileResponse(HELP_CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


def _long_date(iso: str | None, language: str) -> str | None:
    """An ISO date as the reader writes it: "20 de noviembre de 2026", "November 20, 2026" (Babel)."""
    try:
        return format_date(date.fromisoformat(iso), format="long", locale=language) if iso else None
    except ValueError:
        return iso  # not a plain date: shown as the editor wrote it


@router.get("/help/{language}/{article_id}", response_class=HTMLResponse, include_in_schema=False)
def help_article(request: Request, language: Literal["es", "en"], article_id: str):
    kb = request.app.state.kb
    article = kb.get(article_id, language)
    if article is None:
        # A link from an old chat message, or a mistyped address: a page, with the articles its words point to.
        decision = kb.decide(article_id.replace("-", " ")[:200], language)
        page = _page(request, "help_search.html", language, missing=True, hits=decision.hits)
        page.status_code = 404
        return page
    related = [a for a in (kb.get(r, language) for r in article.related) if a is not None]
    other = kb.get(article_id, "en" if language == "es" else "es")
    return _page(
        request,
        "help_article.html",
        language,
        article=article,
        body_html=_markdown.render(article.body),
        updated=_long_date(article.updated, language),
        related=related,
        other=other,
    )
