"""Ticket use cases. Each loads what it needs, calls the pure rules, and commits once."""

import asyncio
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from mostrador.ticket_numbers import parse_ticket_number
from ticketing.agents.models import Agent
from ticketing.business.runtime import Business
from ticketing.channels import outbox, whatsapp
from ticketing.classification.priority import TicketFacts, decide_priority
from ticketing.classification.text import detect_language
from ticketing.customers.models import Customer
from ticketing.errors import InvalidInput, InvalidTransition, NotFound
from ticketing.privacy.text import withhold
from ticketing.routing import service as routing
from ticketing.sla import policy as sla_policy
from ticketing.tickets import intake
from ticketing.tickets.models import PRIORITY_RANK, CsatAnswer, Message, Ticket, TicketEvent
from ticketing.tickets.schemas import ClassifyIn, CsatIn, MessageIn, TicketIn, TicketPatch

TRANSITIONS = {
    "new": {"open", "pending", "resolved"},
    "open": {"pending", "resolved"},
    "pending": {"open", "resolved"},
    "resolved": {"open", "closed"},
    "closed": set(),
}


def _recent_tickets(session: Session, customer: Customer, since: datetime) -> int:
    return session.scalar(
        select(func.count(Ticket.id)).where(Ticket.customer_id == customer.id, Ticket.created_at >= since)
    )


async def create_ticket(
    *,
    ticket_in: TicketIn,
    business: Business,
    writer: intake.Intake,
    sessions,
    actor: str,
    idempotency_key: str | None,
    now: datetime,
) -> intake.Outcome:
    """Create a classified, prioritised, routed ticket; with a known idempotency key, the existing one.

    The pipeline of `tickets/intake/`: prepared here, then created by the process's batch writer in its batch's one
    transaction. A new ticket without consent takes with it the questions its conversation asked before (KB gaps).
    """
    draft = intake.prepare(ticket_in, business, actor=actor, idempotency_key=idempotency_key, now=now)
    outcome = await writer.submit(draft)
    if outcome.created and not ticket_in.consent and ticket_in.conversation_id:
        await asyncio.to_thread(_forget_questions, sessions, ticket_in.conversation_id)
    return outcome


def _forget_questions(sessions, conversation_id: str) -> None:
    from ticketing.privacy import service as privacy  # privacy reads tickets: imported when used

    with sessions() as session:
        privacy.forget_conversation_questions(session, conversation_id)


def classify(session: Session, *, classify_in: ClassifyIn, business: Business, now: datetime) -> dict:
    verdict = business.classifier.classify(classify_in.description, classify_in.category_hint)
    recent = 0
    vip = classify_in.plan == "vip"
    if classify_in.customer_email:
        customer = session.scalars(
            select(Customer).where(func.lower(Customer.email) == classify_in.customer_email.lower())
        ).first()
        if customer:
            vip = vip or customer.plan == "vip"
            recent = _recent_tickets(session, customer, now - business.repeat_window())
    priority, reasons = decide_priority(
        TicketFacts(classify_in.description, verdict.category, verdict.subcategory, classify_in.channel, vip, recent),
        business.config.priority_rules,
    )
    sla = business.sla_promise(priority, vip, now)
    language = classify_in.language or detect_language(classify_in.description) or business.config.default_language
    return {
        "category": verdict.category,
        "subcategory": verdict.subcategory,
        "confidence": round(verdict.confidence, 3),
        "priority": priority,
        "priority_reasons": reasons,
        "team": business.team_of(verdict.category),
        "tier": business.config.categories[verdict.category].tier,
        "language": language,
        "sla": {
            "policy": sla.label,
            "first_response_due_at": sla.first_response_due_at,
            "resolution_due_at": sla.resolution_due_at,
        },
    }


def _event(session: Session, ticket: Ticket, kind: str, actor: str, reason: str | None, now: datetime, data=None):
    session.add(TicketEvent(ticket=ticket, kind=kind, actor=actor, reason=reason, data=data or {}, created_at=now))


def get_ticket(session: Session, ticket_id: int, *, detail: bool = False, for_update: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.id == ticket_id)
    if detail:
        query = query.options(selectinload(Ticket.messages), selectinload(Ticket.events))
    if for_update:
        query = query.with_for_update(of=Ticket)
    ticket = session.scalars(query).unique().first()
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    return ticket


def get_by_number(session: Session, number: str) -> Ticket:
    ticket_id = parse_ticket_number(number)
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is None:
        raise NotFound(f"ticket {number} does not exist")
    return ticket


def ticket_detail(
    session: Session, *, ticket_id: int | None = None, number: str | None = None, teams: list[str] | None
) -> tuple[Ticket, dict[int, str]]:
    """One ticket (by id or number) with its messages and timeline, and the emails of the agents in it."""
    asked_as = number if ticket_id is None else ticket_id
    if ticket_id is None:
        ticket_id = get_by_number(session, number).id
    ticket = get_ticket(session, ticket_id, detail=True)
    check_visible(ticket, teams, asked_as=asked_as)
    return ticket, assignee_emails(session, {ticket.assignee_id} | {m.agent_id for m in ticket.messages})


def csat_of(session: Session, ticket_id: int) -> CsatAnswer | None:
    """The customer's rating of this ticket, if they gave one."""
    return session.scalar(select(CsatAnswer).where(CsatAnswer.ticket_id == ticket_id))


def assignee_emails(session: Session, ids: set[int | None]) -> dict[int, str]:
    """Agent id -> email, for the ids given (None ignored)."""
    ids = ids - {None}
    if not ids:
        return {}
    return dict(session.execute(select(Agent.id, Agent.email).where(Agent.id.in_(ids))).all())


def assignee_email(session: Session, ticket: Ticket) -> str | None:
    return assignee_emails(session, {ticket.assignee_id}).get(ticket.assignee_id)


def find_for_customer(session: Session, *, number: str, conversation_id: str, email: str | None) -> Ticket:
    """The ticket with this number if it was opened from this conversation or with this email; else NotFound.

    Ownership is part of the one query's WHERE: a number that does not exist and one that belongs to someone else
    take the same path, do the same work and raise the same error, so the answer tells nothing about the other.
    """
    ticket_id = parse_ticket_number(number)
    owned = Ticket.conversation_id == conversation_id
    if email:
        owned = or_(owned, func.lower(Customer.email) == email.strip().lower())
    query = (
        select(Ticket)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.id == (ticket_id if ticket_id is not None else -1), owned)
    )
    ticket = session.scalars(query).first()
    if ticket is None:
        raise NotFound(f"no ticket {number} opened from this conversation or with this email")
    return ticket


def check_visible(ticket: Ticket, teams: list[str] | None, asked_as: str | int | None = None) -> None:
    """Agents see only their teams' tickets (teams None = service caller or supervisor: all).

    Another team's ticket reads exactly as a missing one (`asked_as`: the id or number the caller gave), so an
    agent cannot learn which tickets exist outside their teams.
    """
    if teams is not None and ticket.team not in teams:
        raise NotFound(f"ticket {ticket.id if asked_as is None else asked_as} does not exist")


def list_tickets(
    session: Session,
    *,
    teams: list[str] | None,
    team: str | None = None,
    status: str | None = None,
    assignee: str | None = None,
    priority: str | None = None,
    customer_email: str | None = None,
    conversation_id: str | None = None,
    assignee_id: int | None = None,
    sla_state: str | None = None,
    plan: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Ticket], int]:
    """A page of tickets, most urgent first: earliest open SLA target, then priority, then age."""
    query = select(Ticket)
    if teams is not None:
        query = query.where(Ticket.team.in_(teams))
    if team:
        query = query.where(Ticket.team == team)
    if status:
        query = query.where(Ticket.status.in_(status.split(",")))
    if priority:
        query = query.where(Ticket.priority == priority)
    if assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif assignee:
        query = query.join(Agent, Agent.id == Ticket.assignee_id).where(func.lower(Agent.email) == assignee.lower())
    if customer_email or plan:
        query = query.join(Customer, Customer.id == Ticket.customer_id)
    if customer_email:
        query = query.where(func.lower(Customer.email) == customer_email.lower())
    if conversation_id:
        query = query.where(Ticket.conversation_id == conversation_id)
    if assignee_id is not None:
        query = query.where(Ticket.assignee_id == assignee_id)
    if sla_state:
        query = query.where(Ticket.sla_state.in_(sla_state.split(",")))
    if plan:
        query = query.where(Customer.plan == plan)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(
        Ticket.next_due_at.is_(None), Ticket.next_due_at, Ticket.priority_rank.desc(), Ticket.created_at
    )
    return list(session.scalars(query.limit(limit).offset(offset)).unique().all()), total


def ticket_page(session: Session, *, teams: list[str] | None, **filters) -> tuple[list[Ticket], int, dict[int, str]]:
    """A page of tickets as list_tickets gives it, its total, and the emails of their assignees."""
    tickets, total = list_tickets(session, teams=teams, **filters)
    return tickets, total, assignee_emails(session, {t.assignee_id for t in tickets})


def _agent_by_email(session: Session, email: str) -> Agent:
    agent = session.scalars(select(Agent).where(func.lower(Agent.email) == email.lower())).first()
    if agent is None:
        raise InvalidInput(f"assignee: no agent has the email {email}")
    return agent


def _shift_clock(ticket: Ticket, business: Business, paused_from: datetime, now: datetime) -> None:
    """Move every open target later by the working time the ticket spent waiting on the customer."""
    targets = sla_policy.resume(
        sla_policy.targets_of(ticket),
        business.sla.calendar_of(ticket.sla_policy),
        paused_from,
        now,
        first_responded=ticket.first_responded_at is not None,
    )
    _set_targets(ticket, targets)


def _set_targets(ticket: Ticket, targets: sla_policy.Targets) -> None:
    """Store the SLA targets on the ticket, and what the queue orders it by."""
    for field, value in vars(targets).items():
        setattr(ticket, field, value)
    _refresh_next_due(ticket)


def _refresh_next_due(ticket: Ticket) -> None:
    ticket.next_due_at = sla_policy.next_due(
        closed=ticket.status in ("resolved", "closed"),
        paused=ticket.paused_at is not None,
        first_responded=ticket.first_responded_at is not None,
        targets=sla_policy.targets_of(ticket),
    )


def _retarget_sla(session: Session, ticket: Ticket, business: Business, old_priority: str, now: datetime) -> None:
    """A new priority brings its SLA policy: an urgent ticket is due sooner (rules: `sla_policy.retarget`)."""
    if ticket.sla_policy is None or ticket.status in ("resolved", "closed"):
        return
    before = business.sla_promise(old_priority, ticket.sla_vip, ticket.received_at)
    after = business.sla_promise(ticket.priority, ticket.sla_vip, ticket.received_at)
    if after.policy == ticket.sla_policy:
        return
    first_responded = ticket.first_responded_at is not None
    _set_targets(ticket, sla_policy.retarget(sla_policy.targets_of(ticket), before, after, first_responded))
    ticket.sla_policy = after.policy
    if ticket.sla_state == "at_risk":  # the sweep warns again if the new targets are at risk too
        ticket.sla_state = "ok"
    due = ticket.resolution_due_at if first_responded else ticket.first_response_due_at
    target = "resolution" if first_responded else "first response"
    reason = f"policy {after.label}: {target} by {due:%Y-%m-%d %H:%M} UTC" if due else f"policy {after.label}"
    _event(session, ticket, "sla_changed", "system", reason, now, {"policy": after.policy})


def change_status(
    session: Session, ticket: Ticket, new: str, business: Business, actor: str, now: datetime, reason=None
):
    old = ticket.status
    if new == old:
        return
    if new not in TRANSITIONS[old]:
        raise InvalidTransition(
            f"a {old} ticket cannot become {new} (allowed: {', '.join(sorted(TRANSITIONS[old])) or 'none'})"
        )
    if old == "pending" and ticket.paused_at:
        _shift_clock(ticket, business, ticket.paused_at, now)
        ticket.paused_at = None
    ticket.status = new
    if new == "pending":
        ticket.paused_at = now
    if new == "resolved":
        ticket.resolved_at = now
        # The bot says so and asks for a score; on WhatsApp after the 24-hour window only a template can.
        plan = whatsapp.plan_for_ticket(ticket, "ticket_resolved", now, business.config.whatsapp.templates)
        if plan.send:
            template = {"whatsapp_template": plan.template} if plan.template else None
            outbox.enqueue(session, ticket=ticket, kind="ticket_resolved", now=now, payload=template)
            if plan.template:
                name = plan.template["name"]
                reason = f"outside WhatsApp's 24-hour window: the survey goes as the approved template {name}"
                _event(session, ticket, "csat_by_template", "system", reason, now, {"template": name})
        else:
            _event(session, ticket, "csat_skipped", "system", plan.reason, now)
        if sla_policy.missed(ticket.resolution_due_at, now):
            ticket.resolution_breached = True
        if ticket.assignee_id is not None:
            routing.release(session, ticket)
            session.flush()
            # A slot just freed up: the team's most urgent waiting ticket takes it now, not at the next sweep.
            routing.drain_queue(session, business, now, team=ticket.team, limit=1)
    if new == "closed":
        ticket.closed_at = now
    if old == "resolved" and new == "open":
        ticket.resolved_at = None
        if ticket.assignee_id is not None:
            # Reopened: the assignee takes it back only if they have room; else it queues.
            ticket.assignee_id = None
            routing.try_assign(session, ticket, business, now, actor="system:routing")
    _refresh_next_due(ticket)
    _event(session, ticket, "status_changed", actor, reason, now, {"from": old, "to": new})


def patch_ticket(
    session: Session, *, ticket_id: int, patch: TicketPatch, business: Business, actor: str, teams, now: datetime
) -> Ticket:
    ticket = get_ticket(session, ticket_id, for_update=True)
    check_visible(ticket, teams)
    if patch.status:
        change_status(session, ticket, patch.status, business, actor, now, patch.reason)
    if patch.priority and patch.priority != ticket.priority:
        old = ticket.priority
        ticket.priority, ticket.priority_rank = patch.priority, PRIORITY_RANK[patch.priority]
        ticket.priority_reasons = [*ticket.priority_reasons, f"manual: set to {patch.priority} by {actor}"]
        _event(session, ticket, "priority_changed", actor, patch.reason, now, {"from": old, "to": patch.priority})
        _retarget_sla(session, ticket, business, old, now)
    if patch.tier and patch.tier != ticket.tier:
        old_tier, ticket.tier = ticket.tier, patch.tier
        _event(session, ticket, "tier_changed", actor, patch.reason, now, {"from": old_tier, "to": patch.tier})
    if patch.team and patch.team != ticket.team:
        if patch.team not in business.config.teams:
            raise InvalidInput(f"team: unknown team {patch.team!r}")
        old_team, ticket.team = ticket.team, patch.team
        routing.release(session, ticket)
        ticket.assignee_id = None
        _event(session, ticket, "team_changed", actor, patch.reason, now, {"from": old_team, "to": patch.team})
        if patch.assignee is None and ticket.status not in ("resolved", "closed"):
            routing.try_assign(session, ticket, business, now, actor="system:routing")
    if patch.assignee:
        agent = _agent_by_email(session, patch.assignee)
        if ticket.team not in agent.teams:
            raise InvalidInput(f"assignee: {agent.email} is not in team {ticket.team}")
        if agent.id != ticket.assignee_id:
            routing.release(session, ticket)
            agent.open_assigned += 1
            agent.last_assigned_at = now
            ticket.assignee_id = agent.id
            ticket.queued_at = None
            _event(
                session, ticket, "assigned", actor, patch.reason or "assigned by hand", now, {"assignee": agent.email}
            )
    ticket.updated_at = now
    session.commit()
    return ticket


def add_message(
    session: Session,
    *,
    ticket_id: int,
    message_in: MessageIn,
    business: Business,
    actor: str,
    agent: Agent | None,
    teams,
    now: datetime,
) -> Message:
    ticket = get_ticket(session, ticket_id, for_update=True)
    check_visible(ticket, teams)
    if ticket.status == "closed":
        raise InvalidTransition(f"ticket {ticket.number} is closed; open a new one")
    body = message_in.body
    if message_in.author == "customer" and not ticket.consent:
        body = withhold(body, [])  # the customer said no to keeping their details: no email, phone or order here
    message = Message(
        ticket=ticket,
        author=message_in.author,
        agent_id=agent.id if agent and message_in.author == "agent" else None,
        body=body,
        internal=message_in.internal,
        source="live",
        created_at=now,
    )
    session.add(message)
    if message_in.author == "agent" and not message_in.internal:
        # The reply reaches the customer through the outbox, committed with the message or not at all. On WhatsApp
        # after the 24-hour window it goes as the business's approved template, or not at all: the agent sees at
        # once that it failed and why.
        agent_name = agent.name.split()[0] if agent else None
        plan = whatsapp.plan_for_ticket(
            ticket, "agent_reply", now, business.config.whatsapp.templates, message=body, agent_name=agent_name
        )
        payload = {"agent_name": agent_name} if agent_name else {}
        if plan.template:
            payload["whatsapp_template"] = plan.template
        row = outbox.enqueue(session, ticket=ticket, kind="agent_reply", now=now, message=message, payload=payload)
        if row is not None and not plan.send:
            row.status, row.last_error, message.delivery_status = "failed", plan.reason, "failed"
    if message_in.author == "agent" and not message_in.internal:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            if sla_policy.missed(ticket.first_response_due_at, now):
                ticket.first_response_breached = True
            elif ticket.sla_state == "at_risk":
                ticket.sla_state = "ok"  # answered in time: the resolution target is watched afresh
            _event(session, ticket, "first_response", actor, None, now)
        if ticket.status == "new":
            change_status(session, ticket, "open", business, actor, now, "agent replied")
    elif message_in.author == "customer" and ticket.status in ("pending", "resolved"):
        change_status(session, ticket, "open", business, actor, now, "the customer wrote again")
    _refresh_next_due(ticket)
    ticket.updated_at = now
    session.commit()
    return message


def record_csat(session: Session, *, ticket_id: int, csat_in: CsatIn, actor: str, now: datetime) -> CsatAnswer:
    ticket = get_ticket(session, ticket_id)
    if ticket.status not in ("resolved", "closed"):
        raise InvalidTransition(f"ticket {ticket.number} is {ticket.status}; satisfaction is asked after resolution")
    answer = session.scalars(select(CsatAnswer).where(CsatAnswer.ticket_id == ticket.id)).first()
    if answer is None:
        answer = CsatAnswer(ticket_id=ticket.id, score=csat_in.score, comment=csat_in.comment, created_at=now)
        session.add(answer)
        _event(session, ticket, "csat", actor, None, now, {"score": csat_in.score})
    elif answer.score != csat_in.score:
        answer.score, answer.comment = csat_in.score, csat_in.comment
        _event(session, ticket, "csat", actor, None, now, {"score": csat_in.score})
    elif answer.comment != csat_in.comment:  # the customer said why after the score (the bot asks): no second score
        answer.comment = csat_in.comment
        _event(session, ticket, "csat_comment", actor, None, now)
    session.commit()
    return answer
