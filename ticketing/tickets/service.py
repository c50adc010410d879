"""Ticket use cases. Each loads what it needs, calls the pure rules, and commits once."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ticketing.agents.models import Agent
from ticketing.business.runtime import Business
from ticketing.classification.priority import TicketFacts, decide_priority
from ticketing.classification.text import detect_language
from ticketing.customers.models import Customer
from ticketing.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ticketing.routing import service as routing
from ticketing.routing.choice import TicketNeeds
from ticketing.tickets.models import PRIORITY_RANK, CsatAnswer, Message, Ticket, TicketEvent
from ticketing.tickets.schemas import ClassifyIn, CsatIn, MessageIn, TicketIn, TicketPatch

# received_at may run ahead of our clock by this much (clock skew between machines), no more.
MAX_FUTURE_SKEW = timedelta(minutes=5)

TRANSITIONS = {
    "new": {"open", "pending", "resolved"},
    "open": {"pending", "resolved"},
    "pending": {"open", "resolved"},
    "resolved": {"open", "closed"},
    "closed": set(),
}

_TICKET_NUMBER = re.compile(r"[Tt]-(\d{1,12})")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def redact(text: str) -> str:
    """Mask emails and phone numbers: used when the customer did not consent to storing their data."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def _customer_query(by: tuple[str, ...]):
    """SELECT the first customer matching any of the given identifiers, with their tickets since :since."""
    match = {
        "email": func.lower(Customer.email) == bindparam("email"),
        "external_id": Customer.external_id == bindparam("external_id"),
        "phone": Customer.phone == bindparam("phone"),
    }
    recent = (
        select(func.count(Ticket.id))
        .where(Ticket.customer_id == Customer.id, Ticket.created_at >= bindparam("since"))
        .scalar_subquery()
    )
    # No ORDER BY id LIMIT 1: PostgreSQL may then walk the primary key and filter, the whole table for a new customer.
    # The matches are few (usually one); the oldest is picked in Python.
    return select(*Customer.__table__.c, recent).where(or_(*(match[k] for k in by))).limit(20)


# Built once per combination of identifiers: building a statement costs more than running it from the cache.
_CUSTOMER_QUERIES = {
    by: _customer_query(by)
    for by in (
        ("email",),
        ("external_id",),
        ("phone",),
        ("email", "external_id"),
        ("email", "phone"),
        ("external_id", "phone"),
        ("email", "external_id", "phone"),
    )
}


def _find_customer(session: Session, customer_in, since: datetime) -> tuple[Customer | None, int]:
    """The known customer with this email, external id or phone, and how many tickets they opened since `since`."""
    given = {
        "email": customer_in.email.lower() if customer_in.email else None,
        "external_id": customer_in.external_id,
        "phone": customer_in.phone,
    }
    by = tuple(k for k, v in given.items() if v)
    if not by:
        return None, 0
    params = {k: given[k] for k in by} | {"since": since}
    rows = session.connection().execute(_CUSTOMER_QUERIES[by], params).all()
    if not rows:
        return None, 0
    row = min(rows, key=lambda r: r.id)
    *fields, recent = row
    # A detached object for the response; the rows are written with plain statements below.
    return Customer(**dict(zip(Customer.__table__.c.keys(), fields, strict=True))), recent


def _recent_tickets(session: Session, customer: Customer, since: datetime) -> int:
    return session.scalar(
        select(func.count(Ticket.id)).where(Ticket.customer_id == customer.id, Ticket.created_at >= since)
    )


def create_ticket(
    session: Session, *, ticket_in: TicketIn, business: Business, actor: str, idempotency_key: str | None, now: datetime
) -> tuple[Ticket, bool, str | None]:
    """Create a classified, prioritised, routed ticket; with a known idempotency key return the existing one.

    Returns the ticket, whether it is new, and its assignee's email. One transaction and few round trips: find the
    customer (with their recent tickets), claim an agent, write the customer and the ticket, then the timeline.
    """
    if idempotency_key:
        existing = session.scalars(select(Ticket).where(Ticket.idempotency_key == idempotency_key)).first()
        if existing:
            return existing, False, _assignee_email(session, existing)
    received_at = ticket_in.received_at or now
    if received_at.tzinfo is None:
        raise InvalidInput("received_at: give a timezone (for example 2026-11-20T15:04:00Z)")
    received_at = received_at.astimezone(UTC)
    if received_at > now + MAX_FUTURE_SKEW:
        raise InvalidInput("received_at: may be at most 5 minutes in the future")

    consent = ticket_in.consent
    description = ticket_in.description if consent else redact(ticket_in.description)
    customer, recent = (
        _find_customer(session, ticket_in.customer, received_at - business.repeat_window()) if consent else (None, 0)
    )
    if customer is None:
        c = ticket_in.customer
        customer = Customer(
            name=c.name if consent else "Anonymous customer",
            email=c.email if consent else None,
            phone=c.phone if consent else None,
            external_id=c.external_id,
            plan=c.plan,
            language=c.language,
            consent=consent,
            created_at=now,
        )  # not added to the session: written below by one INSERT, without the unit of work's bookkeeping
    elif ticket_in.customer.plan == "vip" and customer.plan != "vip":
        customer.plan = "vip"
        session.connection().execute(update(Customer.__table__).where(Customer.id == customer.id).values(plan="vip"))
    language = (
        ticket_in.language
        or detect_language(ticket_in.description)
        or ticket_in.customer.language
        or business.config.default_language
    )
    verdict = business.classifier.classify(ticket_in.description, ticket_in.category_hint)
    vip = customer.plan == "vip"
    priority, reasons = decide_priority(
        TicketFacts(ticket_in.description, verdict.category, verdict.subcategory, ticket_in.channel, vip, recent),
        business.config.priority_rules,
    )
    sla = business.sla_promise(priority, vip, received_at)
    category = business.config.categories[verdict.category]
    needs = TicketNeeds(category.team, verdict.category, language, category.tier, vip)
    with session.no_autoflush:
        agent, assignment = routing.claim_agent(session, needs, business, now)
    values = dict(
        idempotency_key=idempotency_key,
        subject=ticket_in.subject,
        description=description,
        channel=ticket_in.channel,
        language=language,
        status="new",
        category=verdict.category,
        subcategory=verdict.subcategory,
        category_hint=ticket_in.category_hint,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        priority_reasons=reasons,
        team=category.team,
        tier=category.tier,
        assignee_id=agent.id if agent else None,
        queued_at=None if agent else now,
        conversation_id=ticket_in.conversation_id,
        order_number=ticket_in.order_number,
        consent=consent,
        extra=ticket_in.metadata,
        received_at=received_at,
        created_at=now,
        updated_at=now,
        sla_policy=sla.policy,
        sla_state="ok",
        first_response_due_at=sla.first_response_due_at,
        resolution_due_at=sla.resolution_due_at,
        first_response_warn_at=sla.first_response_warn_at,
        resolution_warn_at=sla.resolution_warn_at,
        next_due_at=sla.first_response_due_at,
    )
    how = "the bot's hint" if verdict.used_hint else f"the classifier ({verdict.confidence:.0%} sure)"
    timeline = [
        ("created", actor, f"received on {ticket_in.channel} in {language}", {}),
        ("classified", "system", f"{verdict.category}/{verdict.subcategory} by {how}", {}),
        ("prioritised", "system", "; ".join(reasons), {"priority": priority}),
        ("routed", "system", f"category {verdict.category} goes to team {category.team}", {}),
        (
            "sla_started",
            "system",
            f"policy {sla.policy}: first response by {sla.first_response_due_at:%Y-%m-%d %H:%M} UTC",
            {},
        ),
    ]
    assigned = routing.assignment_event(agent, assignment, "system:routing", category.team)
    timeline.append((assigned["kind"], assigned["actor"], assigned["reason"], assigned["data"]))
    db = session.connection()
    try:
        # Plain INSERTs with RETURNING: the ORM's bookkeeping cost more than the statements themselves.
        if customer.id is None:
            row = {c: getattr(customer, c) for c in _CUSTOMER_COLUMNS}
            customer.id = db.execute(_INSERT_CUSTOMER, row).scalar_one()
        row = {_TICKET_COLUMNS[k]: v for k, v in values.items()} | {"customer_id": customer.id}
        ticket_id = db.execute(_INSERT_TICKET, row).scalar_one()
    except IntegrityError:
        # Another request with the same idempotency key won the race: answer with its ticket (our claim is undone).
        session.rollback()
        if not idempotency_key:
            raise  # not a race on the key (without a key, "== None" would match any keyless ticket)
        existing = session.scalars(select(Ticket).where(Ticket.idempotency_key == idempotency_key)).first()
        if existing is None:
            raise
        return existing, False, _assignee_email(session, existing)
    # The timeline and the transcript: one statement each, not one per row.
    events = [
        {"ticket_id": ticket_id, "kind": k, "actor": a, "reason": r, "data": d, "created_at": now}
        for k, a, r, d in timeline
    ]
    db.execute(_INSERT_EVENTS, events)
    if ticket_in.transcript:
        lines = [
            {
                "ticket_id": ticket_id,
                "author": line.sender,
                "body": line.text if consent else redact(line.text),
                "source": "transcript",
                "created_at": line.timestamp,
            }
            for line in ticket_in.transcript
        ]
        db.execute(_INSERT_MESSAGES, lines)
    session.commit()
    # What the response shows, as the rows now hold it (a detached object: nothing more to write).
    ticket = Ticket(id=ticket_id, customer_id=customer.id, **values)
    ticket.customer = customer
    return ticket, True, agent.email if agent else None


# With RETURNING, a list of rows goes out as one multi-row INSERT (SQLAlchemy's "insertmanyvalues"), from a
# statement compiled once; without it psycopg runs an executemany as a pipeline (3 waits), and a .values([...])
# statement is compiled anew each time.
_INSERT_EVENTS = insert(TicketEvent.__table__).returning(TicketEvent.__table__.c.id)
_INSERT_MESSAGES = insert(Message.__table__).returning(Message.__table__.c.id)
_CUSTOMER_COLUMNS = ("name", "email", "phone", "external_id", "plan", "language", "consent", "created_at")
_INSERT_CUSTOMER = insert(Customer.__table__).returning(Customer.__table__.c.id)
_INSERT_TICKET = insert(Ticket.__table__).returning(Ticket.__table__.c.id)
_TICKET_COLUMNS = {a.key: a.columns[0].name for a in sa_inspect(Ticket).column_attrs}  # extra -> metadata


def _assignee_email(session: Session, ticket: Ticket) -> str | None:
    return session.scalar(select(Agent.email).where(Agent.id == ticket.assignee_id)) if ticket.assignee_id else None


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
            "policy": sla.policy,
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
    match = _TICKET_NUMBER.fullmatch(number.strip())
    ticket = session.get(Ticket, int(match[1])) if match else None
    if ticket is None:
        raise NotFound(f"ticket {number} does not exist")
    return ticket


def check_visible(ticket: Ticket, teams: list[str] | None) -> None:
    """Agents see only their teams' tickets (teams None = service caller or supervisor: all)."""
    if teams is not None and ticket.team not in teams:
        raise Forbidden(f"ticket {ticket.number} belongs to team {ticket.team}, not one of yours")


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
    if customer_email:
        query = query.join(Customer, Customer.id == Ticket.customer_id).where(
            func.lower(Customer.email) == customer_email.lower()
        )
    if conversation_id:
        query = query.where(Ticket.conversation_id == conversation_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(
        Ticket.next_due_at.is_(None), Ticket.next_due_at, Ticket.priority_rank.desc(), Ticket.created_at
    )
    return list(session.scalars(query.limit(limit).offset(offset)).unique().all()), total


def _agent_by_email(session: Session, email: str) -> Agent:
    agent = session.scalars(select(Agent).where(func.lower(Agent.email) == email.lower())).first()
    if agent is None:
        raise NotFound(f"agent {email} does not exist")
    return agent


def _shift_clock(ticket: Ticket, business: Business, paused_from: datetime, now: datetime) -> None:
    """Move every open target later by the working time the ticket spent waiting on the customer."""
    calendar = business.calendar_of_policy(ticket.sla_policy.removesuffix(" (VIP)"))
    for field in ("first_response_due_at", "first_response_warn_at", "resolution_due_at", "resolution_warn_at"):
        due = getattr(ticket, field)
        if due is None or (field.startswith("first") and ticket.first_responded_at):
            continue
        remaining = calendar.minutes_between(paused_from, due)
        if remaining > 0:
            setattr(ticket, field, calendar.add_minutes(now, remaining))
    _refresh_next_due(ticket)


def _refresh_next_due(ticket: Ticket) -> None:
    if ticket.status in ("resolved", "closed") or ticket.paused_at:
        ticket.next_due_at = None
    elif ticket.first_responded_at is None:
        ticket.next_due_at = ticket.first_response_due_at
    else:
        ticket.next_due_at = ticket.resolution_due_at


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
        if ticket.resolution_due_at and now > ticket.resolution_due_at:
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
    message = Message(
        ticket=ticket,
        author=message_in.author,
        agent_id=agent.id if agent and message_in.author == "agent" else None,
        body=message_in.body,
        internal=message_in.internal,
        source="live",
        delivery_status="pending" if message_in.author == "agent" and not message_in.internal else None,
        created_at=now,
    )
    session.add(message)
    if message_in.author == "agent" and not message_in.internal:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            if ticket.first_response_due_at and now > ticket.first_response_due_at:
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
    else:
        answer.score, answer.comment = csat_in.score, csat_in.comment
    _event(session, ticket, "csat", actor, None, now, {"score": csat_in.score})
    session.commit()
    return answer
