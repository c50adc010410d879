"""HTTP routes of the ticket API: parse, call the service, serialise."""

import hashlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from ticketing.agents import service as agents
from ticketing.channels import outbox, receipts, whatsapp
from ticketing.channels.models import OutboundMessage
from ticketing.deps import BusinessDep, NowDep, PrincipalDep, SessionDep
from ticketing.errors import Forbidden, error_responses
from ticketing.sla.policy import policy_label
from ticketing.tickets import service
from ticketing.tickets.models import Ticket
from ticketing.tickets.schemas import (
    ClassifyIn,
    ClassifyOut,
    CsatIn,
    CsatOut,
    MessageIn,
    MessageOut,
    TicketDetail,
    TicketIn,
    TicketLookupIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    TicketStatusOut,
)
from ticketing.validation import DbId, Offset

# Every route here needs a bearer token and validates its input.
router = APIRouter(prefix="/api/v1", tags=["tickets"], responses=error_responses(401, 422))
BODY_ERRORS = (400, 413, 422)
LOOKUPS_PER_EMAIL, LOOKUP_EMAIL_WINDOW = 10, 3600.0  # a customer's status lookups by email, per hour
# What a client can do next with a ticket it has just created (OpenAPI links: they drive the stateful contract test).
_NEXT = {
    "GetTicket": "get_ticket_api_v1_tickets__ticket_id__get",
    "PatchTicket": "patch_ticket_api_v1_tickets__ticket_id__patch",
    "AddMessage": "add_message_api_v1_tickets__ticket_id__messages_post",
    "RecordCsat": "record_csat_api_v1_tickets__ticket_id__csat_post",
}
TICKET_LINKS = {
    name: {"operationId": operation, "parameters": {"ticket_id": "$response.body#/id"}}
    for name, operation in _NEXT.items()
}


def sla_out(ticket: Ticket) -> dict:
    return {
        "policy": policy_label(ticket.sla_policy, ticket.sla_vip),
        "first_response_due_at": ticket.first_response_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "state": ticket.sla_state,
        "first_responded_at": ticket.first_responded_at,
    }


def ticket_out(ticket: Ticket, assignee: str | None) -> dict:
    customer = ticket.customer
    return {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "category": ticket.category,
        "subcategory": ticket.subcategory,
        "priority": ticket.priority,
        "priority_reasons": ticket.priority_reasons,
        "team": ticket.team,
        "assignee": assignee,
        "tier": ticket.tier,
        "language": ticket.language,
        "channel": ticket.channel,
        "subject": ticket.subject,
        "description": ticket.description,
        "customer": {
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "plan": customer.plan,
        },
        "order_number": ticket.order_number,
        "conversation_id": ticket.conversation_id,
        "consent": ticket.consent,
        "sla": sla_out(ticket),
        "received_at": ticket.received_at,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def delivery_out(row: OutboundMessage | None, on_whatsapp: dict | None = None) -> dict | None:
    if row is None:
        return None
    return {
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "delivered_at": row.delivered_at,
        "whatsapp": on_whatsapp,
    }


def _detail(session, ticket: Ticket, names: dict[int, str], now: datetime, business) -> dict:
    deliveries = outbox.delivery_of_messages(session, [m.id for m in ticket.messages if m.delivery_status])
    on_whatsapp = receipts.of_outbound(session, [row.id for row in deliveries.values()])
    out = ticket_out(ticket, names.get(ticket.assignee_id))
    out["whatsapp_window"] = whatsapp.window_view(ticket, now, business.config.whatsapp.templates)
    out["messages"] = [
        {
            "id": m.id,
            "author": m.author,
            "agent": names.get(m.agent_id),
            "body": m.body,
            "internal": m.internal,
            "source": m.source,
            "created_at": m.created_at,
            "delivery": delivery_out(row := deliveries.get(m.id), on_whatsapp.get(row.id) if row is not None else None),
        }
        for m in ticket.messages
    ]
    out["timeline"] = [
        {"kind": e.kind, "actor": e.actor, "reason": e.reason, "data": e.data, "created_at": e.created_at}
        for e in ticket.events
    ]
    rating = service.csat_of(session, ticket.id)
    out["csat"] = rating and {"score": rating.score, "comment": rating.comment, "answered_at": rating.created_at}
    return out


@router.post(
    "/tickets",
    response_model=TicketOut,
    status_code=201,
    responses={
        200: {
            "model": TicketOut,
            "description": "The ticket this Idempotency-Key created before",
            "links": TICKET_LINKS,
        },
        201: {"description": "Created", "links": TICKET_LINKS},
        **error_responses(*BODY_ERRORS),
    },
)
async def create_ticket(
    ticket_in: TicketIn,
    request: Request,
    response: Response,
    principal: PrincipalDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
):
    """Create a ticket: classified, prioritised, routed and under its SLA. The same Idempotency-Key returns the same ticket."""
    outcome = await service.create_ticket(
        ticket_in=ticket_in,
        business=request.app.state.business,
        writer=request.app.state.intake,
        sessions=request.app.state.sessions,
        actor=principal.name,
        idempotency_key=idempotency_key,
        now=now,
    )
    if not outcome.created:
        response.status_code = 200
    return ticket_out(outcome.ticket, outcome.assignee)


@router.get("/tickets", response_model=TicketPage)
def list_tickets(
    session: SessionDep,
    principal: PrincipalDep,
    team: str | None = None,
    status: str | None = None,
    assignee: str | None = None,
    priority: str | None = None,
    customer_email: str | None = None,
    conversation_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
):
    """A page of tickets ordered by urgency (earliest SLA target, then priority)."""
    tickets, total, names = service.ticket_page(
        session,
        teams=principal.teams,
        team=team,
        status=status,
        assignee=assignee,
        priority=priority,
        customer_email=customer_email,
        conversation_id=conversation_id,
        limit=limit,
        offset=offset,
    )
    return {
        "items": [ticket_out(t, names.get(t.assignee_id)) for t in tickets],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/tickets/by-number/{number}", response_model=TicketDetail, responses=error_responses(404))
def get_ticket_by_number(
    number: Annotated[str, Path(max_length=40)],
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    business: BusinessDep,
):
    """One ticket by its number (T-000123), with messages and timeline."""
    return _detail(session, *service.ticket_detail(session, number=number, teams=principal.teams), now, business)


@router.post(
    "/ticket-lookup",
    response_model=TicketStatusOut,
    responses=error_responses(*BODY_ERRORS, 403, 404),
)
def lookup_ticket_for_customer(
    lookup_in: TicketLookupIn, request: Request, session: SessionDep, principal: PrincipalDep
):
    """A ticket's status for the customer who owns it: opened from this conversation, or with this email.

    A number that does not exist and one that is someone else's get the same 404, word for word. A POST, so the
    email stays out of URLs and access logs.
    """
    if principal.kind != "service":
        raise Forbidden("only the bot's service token looks tickets up for a customer")
    email = lookup_in.email
    if email:
        # Someone who knows a customer's email could try number after number: past a few lookups an hour the email
        # proves nothing more (the conversation that opened the ticket still does). Counted whatever the outcome.
        # Keyed by a hash: the counters may live in Redis, and an email is personal data.
        key = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
        count, _ = request.app.state.limits.counters.incr(f"lookup-email:{key}", LOOKUP_EMAIL_WINDOW)
        email = email if count <= LOOKUPS_PER_EMAIL else None
    ticket = service.find_for_customer(
        session, number=lookup_in.number, conversation_id=lookup_in.conversation_id, email=email
    )
    return {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "team": ticket.team,
        "priority": ticket.priority,
        "language": ticket.language,
        "sla": sla_out(ticket),
    }


@router.get("/tickets/{ticket_id}", response_model=TicketDetail, responses=error_responses(404))
def get_ticket(ticket_id: DbId, session: SessionDep, principal: PrincipalDep, now: NowDep, business: BusinessDep):
    """One ticket with its messages and timeline (and, on WhatsApp, the state of the 24-hour window)."""
    return _detail(session, *service.ticket_detail(session, ticket_id=ticket_id, teams=principal.teams), now, business)


@router.patch("/tickets/{ticket_id}", response_model=TicketOut, responses=error_responses(*BODY_ERRORS, 404, 409))
def patch_ticket(
    ticket_id: DbId,
    patch: TicketPatch,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    principal: PrincipalDep,
    now: NowDep,
):
    """Change status, priority, team, assignee or tier; every change lands in the timeline."""
    ticket = service.patch_ticket(
        session,
        ticket_id=ticket_id,
        patch=patch,
        business=business,
        actor=principal.name,
        teams=principal.teams,
        now=now,
    )
    if patch.status == "resolved":
        request.app.state.delivery.wake()  # the resolution message was written to the outbox with the change
    return ticket_out(ticket, service.assignee_email(session, ticket))


@router.post(
    "/tickets/{ticket_id}/messages",
    response_model=MessageOut,
    status_code=201,
    responses=error_responses(*BODY_ERRORS, 404, 409),
)
def add_message(
    ticket_id: DbId,
    request: Request,
    message_in: MessageIn,
    session: SessionDep,
    business: BusinessDep,
    principal: PrincipalDep,
    now: NowDep,
):
    """Add a message. A public agent message goes to the customer and stops the first-response clock."""
    agent = agents.get_agent(session, principal.agent_id) if principal.agent_id else None
    message = service.add_message(
        session,
        ticket_id=ticket_id,
        message_in=message_in,
        business=business,
        actor=principal.name,
        agent=agent,
        teams=principal.teams,
        now=now,
    )
    if message.delivery_status == "pending":
        request.app.state.delivery.wake()  # the reply was written to the outbox with the message: send it now
    return {
        "id": message.id,
        "author": message.author,
        "agent": agent.email if agent and message.agent_id else None,
        "body": message.body,
        "internal": message.internal,
        "source": message.source,
        "created_at": message.created_at,
        "delivery": delivery_out(outbox.delivery_of_messages(session, [message.id]).get(message.id)),
    }


@router.post(
    "/tickets/{ticket_id}/csat",
    status_code=201,
    response_model=CsatOut,
    responses=error_responses(*BODY_ERRORS, 403, 404, 409),
)
def record_csat(ticket_id: DbId, csat_in: CsatIn, session: SessionDep, principal: PrincipalDep, now: NowDep):
    """Store the customer's satisfaction score (1–5) and comment for a resolved ticket (the bot's call, not agents')."""
    if principal.kind != "service":
        raise Forbidden("the customer's satisfaction score is recorded by the bot, not by agents")
    answer = service.record_csat(session, ticket_id=ticket_id, csat_in=csat_in, actor=principal.name, now=now)
    return {"ticket_id": ticket_id, "score": answer.score, "comment": answer.comment}


@router.post("/classify", response_model=ClassifyOut, responses=error_responses(*BODY_ERRORS))
def classify(classify_in: ClassifyIn, session: SessionDep, business: BusinessDep, principal: PrincipalDep, now: NowDep):
    """The category, priority (with reasons), team and SLA the backend would give, without creating a ticket."""
    return service.classify(session, classify_in=classify_in, business=business, now=now)
