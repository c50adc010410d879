"""HTTP routes of the privacy API: a customer's data exported or erased by a supervisor, and the audit trail.

Only supervisors (an agent login with `supervisor: true`). The service token is refused (403): it is the action
server's credential, held by a process that reads customer text all day, and an export by email would make it a
key to every customer's data; the audit also has to name a person.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from ticketing.auth import Principal
from ticketing.deps import NowDep, SessionDep, get_principal
from ticketing.errors import ErrorOut, Forbidden, error_responses
from ticketing.privacy import service
from ticketing.privacy.conversations import ConversationStore
from ticketing.privacy.schemas import ErasureOut, ExportOut, PrivacyRequestPage, SubjectIn

router = APIRouter(prefix="/api/v1/privacy", tags=["privacy"], responses=error_responses(401, 403, 422))
_BOT_DOWN = {
    503: {
        "model": ErrorOut,
        "description": "The bot's conversation store (the Rasa server or the action server) did not answer; "
        "nothing was done: try again",
    }
}


async def get_supervisor(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.kind == "service":
        raise Forbidden("the service token cannot export or erase customer data: log in as a supervisor")
    if not principal.supervisor:
        raise Forbidden("only supervisors can export or erase customer data")
    return principal


SupervisorDep = Annotated[Principal, Depends(get_supervisor)]


def _conversations(request: Request) -> ConversationStore:
    settings = request.app.state.settings
    token = settings.bot_api_token.get_secret_value() if settings.bot_api_token else None
    return ConversationStore(settings.bot_url, token)


def _key(request: Request) -> str:
    return request.app.state.settings.secret_key.get_secret_value()


@router.post(
    "/exports",
    response_model=ExportOut,
    responses={**error_responses(400, 413), **_BOT_DOWN},
)
def export_customer_data(
    subject_in: SubjectIn, request: Request, session: SessionDep, supervisor: SupervisorDep, now: NowDep
):
    """Everything held about a customer (by email and/or phone): customer rows, tickets with messages, timeline
    and CSAT, their bot conversations as stored, and their unanswered questions. Recorded on the audit trail."""
    subject = service.Subject(email=subject_in.email, phone=subject_in.phone)
    holdings, conversations = service.export_subject(
        session,
        subject,
        read_conversation=_conversations(request).events,
        actor=supervisor.name,
        key=_key(request),
        now=now,
    )
    return {
        "subject_ref": subject.reference(_key(request)),
        "exported_at": now,
        "found": not holdings.empty or bool(conversations),
        "customers": [_customer(c) for c in holdings.customers],
        "tickets": [_ticket(t, holdings.csat.get(t.id)) for t in holdings.tickets],
        "conversations": [{"conversation_id": cid, "events": events} for cid, events in conversations.items()],
        "kb_questions": [
            {
                "question": g.question,
                "language": g.language,
                "conversation_id": g.conversation_id,
                "asked_at": g.created_at,
            }
            for g in holdings.gaps
        ],
    }


@router.post(
    "/erasures",
    response_model=ErasureOut,
    responses={**error_responses(400, 413), **_BOT_DOWN},
)
def erase_customer_data(
    subject_in: SubjectIn, request: Request, session: SessionDep, supervisor: SupervisorDep, now: NowDep
):
    """Erase a customer's personal data: tickets anonymised, the customer scrubbed, their bot conversations deleted
    from the tracker store and the action server's outbox. Audited; repeating it answers `nothing_held`."""
    subject = service.Subject(email=subject_in.email, phone=subject_in.phone)
    erasure = service.erase_subject(
        session,
        subject,
        erase_conversation=_conversations(request).erase,
        actor=supervisor.name,
        key=_key(request),
        now=now,
    )
    detail = (
        f"erased: {len(erasure.tickets)} tickets anonymised, {erasure.conversations} bot conversations deleted"
        if erasure.outcome == "erased"
        else "nothing is held about this customer (never known, or already erased)"
    )
    return {**erasure.__dict__, "detail": detail}


@router.get("/requests", response_model=PrivacyRequestPage)
def privacy_requests(
    session: SessionDep,
    supervisor: SupervisorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
):
    """The audit trail of exports and erasures, newest first: who, when, which subject (a keyed hash), what."""
    rows, total = service.audit_trail(session, limit=limit, offset=offset)
    return {
        "items": [
            {
                "id": r.id,
                "kind": r.kind,
                "actor": r.actor,
                "subject_ref": r.subject_ref,
                "subject_kind": r.subject_kind,
                "outcome": r.outcome,
                "tickets": r.tickets,
                "conversations": r.conversations,
                "created_at": r.created_at,
            }
            for r in rows
        ],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def _customer(c) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "external_id": c.external_id,
        "plan": c.plan,
        "language": c.language,
        "consent": c.consent,
        "created_at": c.created_at,
    }


def _ticket(t, csat) -> dict[str, Any]:
    return {
        "number": t.number,
        "customer_id": t.customer_id,
        "status": t.status,
        "channel": t.channel,
        "language": t.language,
        "category": t.category,
        "subcategory": t.subcategory,
        "priority": t.priority,
        "team": t.team,
        "subject": t.subject,
        "description": t.description,
        "order_number": t.order_number,
        "conversation_id": t.conversation_id,
        "consent": t.consent,
        "received_at": t.received_at,
        "created_at": t.created_at,
        "resolved_at": t.resolved_at,
        "messages": [
            {"author": m.author, "body": m.body, "internal": m.internal, "source": m.source, "created_at": m.created_at}
            for m in t.messages
        ],
        "timeline": [
            {"kind": e.kind, "actor": e.actor, "reason": e.reason, "created_at": e.created_at} for e in t.events
        ],
        "csat": None if csat is None else {"score": csat.score, "comment": csat.comment, "created_at": csat.created_at},
    }
