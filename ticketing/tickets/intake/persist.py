"""Intake, step 3: persist. A batch of prepared tickets in one transaction: read, decide each, write, commit once.

Every decision is made ticket by ticket, in arrival order, exactly as for a single ticket: a customer created or
an agent taken by an earlier ticket of the batch is seen by the later ones. When anything in a batch fails (a
race on an idempotency key with another process, an agent's slot taken by another process), the batch is rolled
back and its tickets go again one by one, so one ticket's problem is never another's.
"""

import logging
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mostrador.ticket_numbers import ticket_number
from ticketing.agents.models import Agent
from ticketing.business.runtime import Business
from ticketing.routing.service import AgentPool, Contention
from ticketing.tickets.intake.customers import BatchCustomers
from ticketing.tickets.intake.decide import Plan, decide
from ticketing.tickets.intake.prepare import Draft
from ticketing.tickets.intake.rows import insert_rows
from ticketing.tickets.models import Message, Ticket, TicketEvent

log = logging.getLogger("ticketing.intake")


@dataclass
class Outcome:
    """What a request gets back: the ticket as stored, whether this request created it, its assignee's email."""

    ticket: object  # a Ticket, or a read-only view with the same attributes
    created: bool
    assignee: str | None


def create_tickets(session: Session, business: Business, drafts: list[Draft]) -> list[Outcome | Exception]:
    """Create the drafts' tickets in one transaction; one outcome (or the error) per draft, in order.

    A batch that fails as a whole is rolled back and each draft is created alone in its own transaction.
    """
    if len(drafts) > 1:
        try:
            return _create(session, business, drafts)
        except (Contention, IntegrityError) as exc:
            session.rollback()
            log.info("batch of %d goes again one by one: %s", len(drafts), type(exc).__name__)
        except Exception:
            session.rollback()
            log.exception("batch of %d failed; creating its tickets one by one", len(drafts))
    outcomes: list[Outcome | Exception] = []
    for draft in drafts:
        try:
            outcomes.append(_create_one(session, business, draft))
        except Exception as exc:  # the error belongs to this ticket's request alone
            session.rollback()
            outcomes.append(exc)
    return outcomes


def _create_one(session: Session, business: Business, draft: Draft, attempts: int = 5) -> Outcome:
    for attempt in range(attempts):
        try:
            return _create(session, business, [draft])[0]
        except Contention:
            session.rollback()  # another process took the slot: read the agents again and choose again
            if attempt == attempts - 1:
                raise
        except IntegrityError:
            # Another request with the same idempotency key won the race: answer with its ticket (our claim is undone).
            session.rollback()
            if not draft.idempotency_key:
                raise  # not a race on the key (without a key, "== None" would match any keyless ticket)
            existing = _existing_by_key(session, [draft.idempotency_key]).get(draft.idempotency_key)
            if existing is None:
                raise
            return _existing_outcome(session, existing)
    raise AssertionError("unreachable")


def _create(session: Session, business: Business, drafts: list[Draft]) -> list[Outcome]:
    db = session.connection()
    # Read: every statement for the whole batch.
    existing = _existing_by_key(session, [d.idempotency_key for d in drafts if d.idempotency_key])
    customers = BatchCustomers(db, [d for d in drafts if d.ticket_in.consent], business.repeat_window())
    agents = AgentPool(db, business)

    # Decide, ticket by ticket in arrival order.
    outcomes: list[Outcome | None] = []
    plans: dict[int, Plan] = {}  # index of the outcome -> the new ticket it gets
    same_as: dict[int, int] = {}  # index of the outcome -> index of the earlier one of this batch with its key
    first_with_key: dict[str, int] = {}  # idempotency key -> index of the outcome that creates its ticket
    for i, draft in enumerate(drafts):
        key = draft.idempotency_key
        outcomes.append(_existing_outcome(session, existing[key]) if key in existing else None)
        if key in existing:
            continue
        if key in first_with_key:  # the same key twice in one batch: the second gets the first's ticket
            same_as[i] = first_with_key[key]
            continue
        if key:
            first_with_key[key] = i
        customer, recent = customers.resolve(draft)
        plans[i] = decide(draft, business, customer, recent, agents)

    # Write, and commit once.
    agents.claim(db)
    customers.write(db)
    if plans:
        for plan in plans.values():
            plan.row["customer_id"] = plan.customer["id"]
        ids = insert_rows(db, Ticket.__table__, [plan.row for plan in plans.values()])
        events, lines = [], []
        for plan, ticket_id in zip(plans.values(), ids, strict=True):
            plan.row["id"] = ticket_id
            now = plan.row["created_at"]
            events += [
                {"ticket_id": ticket_id, "kind": k, "actor": a, "reason": r, "data": d, "created_at": now}
                for k, a, r, d in plan.timeline
            ]
            lines += [line | {"ticket_id": ticket_id} for line in plan.transcript]
        insert_rows(db, TicketEvent.__table__, events)
        if lines:
            insert_rows(db, Message.__table__, lines)
    session.commit()

    for i, plan in plans.items():
        outcomes[i] = Outcome(_view(plan.row, plan.customer), True, plan.agent_email)
    for i, first in same_as.items():
        outcomes[i] = Outcome(outcomes[first].ticket, False, outcomes[first].assignee)
    return outcomes


def _existing_by_key(session: Session, keys: list[str]) -> dict[str, Ticket]:
    if not keys:
        return {}
    return {t.idempotency_key: t for t in session.scalars(select(Ticket).where(Ticket.idempotency_key.in_(keys)))}


def _existing_outcome(session: Session, ticket: Ticket) -> Outcome:
    email = session.scalar(select(Agent.email).where(Agent.id == ticket.assignee_id)) if ticket.assignee_id else None
    return Outcome(ticket, False, email)


def _view(row: dict, customer: dict) -> SimpleNamespace:
    """The new ticket as the response shows it: the row just written, without an ORM object's bookkeeping."""
    view = SimpleNamespace(**row, first_responded_at=None, customer=SimpleNamespace(**customer))
    view.number = ticket_number(row["id"])
    return view
