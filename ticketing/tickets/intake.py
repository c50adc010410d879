"""Ticket intake: new tickets are created in batches, one transaction per batch (group commit).

Creating a ticket reads the customer and the agents and writes a customer, a ticket and its timeline. Done one
ticket at a time, those statements and the commit were most of a ticket's cost: on PostgreSQL, each round trip
costs driver CPU on our side and a commit on the server's. The tickets that arrive while a batch is being written
wait for the next one, so under load one batch carries many tickets through the same six statements, and alone a
ticket is a batch of one.

    request ──prepare()──▶ Draft ──Intake.submit()──▶ writer thread ──create_tickets()──▶ one transaction
    (validate, detect language, classify: pure)       (drains the queue)    (read, decide, claim, write)

Every decision is made ticket by ticket, in arrival order, exactly as for a single ticket: a customer created or
an agent taken by an earlier ticket of the batch is seen by the later ones. When anything in a batch fails (a
race on an idempotency key with another process, an agent's slot taken by another process), the batch is rolled
back and its tickets go again one by one, so one ticket's problem is never another's.
"""

import asyncio
import json
import logging
import queue
import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mostrador.ticket_numbers import ticket_number
from ticketing.agents.models import Agent
from ticketing.business.runtime import Business
from ticketing.classification.classifier import Classification
from ticketing.classification.priority import TicketFacts, decide_priority
from ticketing.classification.text import detect_language
from ticketing.customers.models import Customer
from ticketing.db import UTCDateTime
from ticketing.errors import InvalidInput
from ticketing.routing.choice import TicketNeeds
from ticketing.routing.service import AgentPool, Contention, assignment_event
from ticketing.tickets.models import PRIORITY_RANK, Message, Ticket, TicketEvent
from ticketing.tickets.schemas import TicketIn

log = logging.getLogger("ticketing.intake")

# received_at may run ahead of our clock by this much (clock skew between machines), no more.
MAX_FUTURE_SKEW = timedelta(minutes=5)
MAX_BATCH = 64

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def redact(text: str) -> str:
    """Mask emails and phone numbers: used when the customer did not consent to storing their data."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


@dataclass(frozen=True)
class Draft:
    """A ticket request after the checks and decisions that need no database."""

    ticket_in: TicketIn
    actor: str
    idempotency_key: str | None
    now: datetime
    received_at: datetime
    description: str
    language: str
    verdict: Classification


@dataclass
class Outcome:
    """What a request gets back: the ticket as stored, whether this request created it, its assignee's email."""

    ticket: object  # a Ticket, or a read-only view with the same attributes
    created: bool
    assignee: str | None


def prepare(
    ticket_in: TicketIn, business: Business, *, actor: str, idempotency_key: str | None, now: datetime
) -> Draft:
    """Check the request and make the decisions that need no database. Raises InvalidInput."""
    received_at = ticket_in.received_at or now
    if received_at.tzinfo is None:
        raise InvalidInput("received_at: give a timezone (for example 2026-11-20T15:04:00Z)")
    received_at = received_at.astimezone(UTC)
    if received_at > now + MAX_FUTURE_SKEW:
        raise InvalidInput("received_at: may be at most 5 minutes in the future")
    language = (
        ticket_in.language
        or detect_language(ticket_in.description)
        or ticket_in.customer.language
        or business.config.default_language
    )
    return Draft(
        ticket_in=ticket_in,
        actor=actor,
        idempotency_key=idempotency_key,
        now=now,
        received_at=received_at,
        description=ticket_in.description if ticket_in.consent else redact(ticket_in.description),
        language=language,
        verdict=business.classifier.classify(ticket_in.description, ticket_in.category_hint),
    )


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


# --- the batch ----------------------------------------------------------------------------------------------------


def _create(session: Session, business: Business, drafts: list[Draft]) -> list[Outcome]:
    db = session.connection()
    existing = _existing_by_key(session, [d.idempotency_key for d in drafts if d.idempotency_key])
    customers = _Customers(db, [d for d in drafts if d.ticket_in.consent], business.repeat_window())
    agents = AgentPool(db, business)

    outcomes: list[Outcome | None] = []
    plans: list[dict] = []  # the new tickets: their row, customer, timeline, transcript, agent and Outcome slot
    first_with_key: dict[str, int] = {}  # idempotency key -> index of the plan of this batch that creates it
    for draft in drafts:
        key = draft.idempotency_key
        if key in existing:
            outcomes.append(_existing_outcome(session, existing[key]))
            continue
        if key in first_with_key:  # the same key twice in one batch: the second gets the first's ticket
            outcomes.append(None)
            plans.append({"same_as": first_with_key[key], "slot": len(outcomes) - 1})
            continue
        if key:
            first_with_key[key] = len(plans)
        outcomes.append(None)
        plans.append(_plan(draft, business, customers, agents) | {"slot": len(outcomes) - 1})

    new_plans = [p for p in plans if "same_as" not in p]
    agents.claim(db)
    customers.write(db)
    if new_plans:
        for plan in new_plans:
            plan["row"]["customer_id"] = plan["customer"]["id"]
        ids = _insert(db, Ticket.__table__, [p["row"] for p in new_plans])
        events, lines = [], []
        for plan, ticket_id in zip(new_plans, ids, strict=True):
            plan["row"]["id"] = ticket_id
            now = plan["row"]["created_at"]
            events += [
                {"ticket_id": ticket_id, "kind": k, "actor": a, "reason": r, "data": d, "created_at": now}
                for k, a, r, d in plan["timeline"]
            ]
            lines += [line | {"ticket_id": ticket_id} for line in plan["transcript"]]
        _insert(db, TicketEvent.__table__, events)
        if lines:
            _insert(db, Message.__table__, lines)
    session.commit()

    for plan in new_plans:
        outcomes[plan["slot"]] = Outcome(_view(plan["row"], plan["customer"]), True, plan["agent_email"])
    for plan in plans:
        if "same_as" in plan:
            first = plans[plan["same_as"]]
            done = outcomes[first["slot"]]
            outcomes[plan["slot"]] = Outcome(done.ticket, False, done.assignee)
    return outcomes


def _plan(draft: Draft, business: Business, customers: "_Customers", agents: AgentPool) -> dict:
    """Everything about one new ticket, decided in memory: its row, customer, agent, timeline and transcript."""
    ticket_in, now, verdict, language = draft.ticket_in, draft.now, draft.verdict, draft.language
    customer, recent = customers.resolve(draft)
    vip = customer["plan"] == "vip"
    priority, reasons = decide_priority(
        TicketFacts(ticket_in.description, verdict.category, verdict.subcategory, ticket_in.channel, vip, recent),
        business.config.priority_rules,
    )
    sla = business.sla_promise(priority, vip, draft.received_at)
    category = business.config.categories[verdict.category]
    agent, assignment = agents.choose(TicketNeeds(category.team, verdict.category, language, category.tier, vip), now)
    row = dict(
        idempotency_key=draft.idempotency_key,
        subject=ticket_in.subject,
        description=draft.description,
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
        consent=ticket_in.consent,
        metadata=ticket_in.metadata,
        received_at=draft.received_at,
        created_at=now,
        updated_at=now,
        sla_policy=sla.policy,
        sla_vip=sla.vip,
        sla_state="ok",
        first_response_due_at=sla.first_response_due_at,
        resolution_due_at=sla.resolution_due_at,
        first_response_warn_at=sla.first_response_warn_at,
        resolution_warn_at=sla.resolution_warn_at,
        next_due_at=sla.first_response_due_at,
    )
    how = "the bot's hint" if verdict.used_hint else f"the classifier ({verdict.confidence:.0%} sure)"
    assigned = assignment_event(agent, assignment, "system:routing", category.team)
    timeline = [
        ("created", draft.actor, f"received on {ticket_in.channel} in {language}", {}),
        ("classified", "system", f"{verdict.category}/{verdict.subcategory} by {how}", {}),
        ("prioritised", "system", "; ".join(reasons), {"priority": priority}),
        ("routed", "system", f"category {verdict.category} goes to team {category.team}", {}),
        (
            "sla_started",
            "system",
            f"policy {sla.label}: first response by {sla.first_response_due_at:%Y-%m-%d %H:%M} UTC",
            {},
        ),
        (assigned["kind"], assigned["actor"], assigned["reason"], assigned["data"]),
    ]
    transcript = [
        {
            "author": line.sender,
            "body": line.text if ticket_in.consent else redact(line.text),
            "source": "transcript",
            "created_at": line.timestamp,
        }
        for line in ticket_in.transcript
    ]
    return {
        "row": row,
        "customer": customer,
        "timeline": timeline,
        "transcript": transcript,
        "agent_email": agent.email if agent else None,
    }


class _Customers:
    """The batch's customers: the known ones (one query for the whole batch) and the ones it creates.

    A customer is recognised by email (whatever its capitals), external id or phone; when several match, the
    oldest. A customer created by an earlier ticket of the batch is recognised by the later ones, and their
    tickets count as recent contacts like any other.
    """

    def __init__(self, db, drafts: list[Draft], repeat_window: timedelta):
        self.window = repeat_window
        self.known: dict[tuple[str, str], dict] = {}  # (identifier kind, value) -> customer
        self.new: list[dict] = []
        self.upgraded: set[int] = set()  # known customers who became VIP
        self.contacts: dict[int, list[datetime]] = {}  # customer id -> created_at of their recent tickets
        self.batch_contacts: Counter = Counter()  # id() of a customer dict -> tickets of this batch so far
        given = {kind: {v for d in drafts if (v := _identifier(d, kind))} for kind in _KINDS}
        by = tuple(kind for kind in _KINDS if given[kind])
        if not by:
            return
        rows = db.execute(_CUSTOMER_QUERIES[by], {kind: sorted(given[kind]) for kind in by}).mappings().all()
        for row in sorted(rows, key=lambda r: r["id"], reverse=True):  # the oldest wins: written last
            customer = dict(row)
            for kind in _KINDS:
                value = customer[kind].lower() if kind == "email" and customer[kind] else customer[kind]
                if value:
                    self.known[(kind, value)] = customer
        if rows:
            since = min(d.received_at for d in drafts) - repeat_window
            ids = sorted({r["id"] for r in rows})
            for customer_id, created_at in db.execute(_RECENT_TICKETS, {"ids": ids, "since": since}):
                self.contacts.setdefault(customer_id, []).append(created_at)

    def resolve(self, draft: Draft) -> tuple[dict, int]:
        """The draft's customer (known, created earlier in the batch, or new) and their recent tickets."""
        c = draft.ticket_in.customer
        consent = draft.ticket_in.consent
        keys = [(kind, v) for kind in _KINDS if (v := _identifier(draft, kind))] if consent else []
        matches = [self.known[k] for k in keys if k in self.known]
        if matches:
            customer = min(matches, key=lambda m: m["id"] if m.get("id") is not None else float("inf"))
        else:
            customer = {
                "id": None,
                "name": c.name if consent else "Anonymous customer",
                "email": c.email if consent else None,
                "phone": c.phone if consent else None,
                "external_id": c.external_id,
                "plan": c.plan,
                "language": c.language,
                "consent": consent,
                "created_at": draft.now,
            }
            self.new.append(customer)
        for k in keys:
            self.known.setdefault(k, customer)
        if c.plan == "vip" and customer["plan"] != "vip":
            customer["plan"] = "vip"  # the plan stays with the customer
            if customer["id"] is not None:
                self.upgraded.add(customer["id"])
        since = draft.received_at - self.window
        recent = sum(1 for t in self.contacts.get(customer["id"], ()) if t >= since) if customer["id"] else 0
        recent += self.batch_contacts[id(customer)]
        self.batch_contacts[id(customer)] += 1
        return customer, recent

    def write(self, db) -> None:
        if self.upgraded:
            db.execute(_MAKE_VIP, {"ids": sorted(self.upgraded)})
        if self.new:
            rows = [{k: c[k] for k in _CUSTOMER_COLUMNS} for c in self.new]
            for customer, customer_id in zip(self.new, _insert(db, Customer.__table__, rows), strict=True):
                customer["id"] = customer_id


_KINDS = ("email", "external_id", "phone")


def _identifier(draft: Draft, kind: str) -> str | None:
    value = getattr(draft.ticket_in.customer, kind)
    return value.lower() if kind == "email" and value else value


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


def _customer_query(by: tuple[str, ...]):
    match = {
        "email": func.lower(Customer.email).in_(bindparam("email", expanding=True)),
        "external_id": Customer.external_id.in_(bindparam("external_id", expanding=True)),
        "phone": Customer.phone.in_(bindparam("phone", expanding=True)),
    }
    return select(*Customer.__table__.c).where(or_(*(match[k] for k in by)))


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
_RECENT_TICKETS = select(Ticket.customer_id, Ticket.created_at).where(
    Ticket.customer_id.in_(bindparam("ids", expanding=True)),
    Ticket.created_at >= bindparam("since", type_=UTCDateTime()),
)
_MAKE_VIP = update(Customer.__table__).where(Customer.id.in_(bindparam("ids", expanding=True))).values(plan="vip")
_CUSTOMER_COLUMNS = ("name", "email", "phone", "external_id", "plan", "language", "consent", "created_at")


def _insert(db, table, rows: list[dict]) -> list[int]:
    """INSERT the rows (all with the same keys) in one statement; their new ids, in the order of the rows.

    On PostgreSQL the rows travel as one JSON parameter that the server unpacks (json_populate_recordset): the
    statement's text is the same for any number of rows, so the driver parses it once and the server prepares it
    once. A multi-row VALUES list (SQLAlchemy's insertmanyvalues, used on SQLite) is a new text of up to hundreds
    of parameters for each batch size, parsed anew by the driver every time: a fifth of the backend's CPU.
    """
    if db.dialect.name != "postgresql":
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(db.execute(statement, rows).scalars())
    given = tuple(rows[0])
    prepared = _PG_INSERTS.get((table.name, given))
    if prepared is None:
        # Columns left out get their model defaults (scalar ones: False, "live"...), as an ORM insert would.
        defaults = {
            c.name: c.default.arg
            for c in table.columns
            if c.name not in given and c.default is not None and c.default.is_scalar
        }
        names = ", ".join(f'"{c}"' for c in (*given, *defaults))
        sql = (
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} '
            f'FROM json_populate_recordset(NULL::"{table.name}", %(rows)s::json) WITH ORDINALITY '
            f"ORDER BY ordinality RETURNING id"
        )
        prepared = _PG_INSERTS[(table.name, given)] = (sql, defaults)
    sql, defaults = prepared
    if defaults:
        rows = [row | defaults for row in rows]
    # Rows go in in the order given, and each takes the next value of the id sequence as it goes in: ascending
    # ids are the rows' order, whatever other transactions take from the sequence meanwhile.
    return sorted(db.exec_driver_sql(sql, {"rows": json.dumps(rows, default=_utc_naive)}).scalars())


_PG_INSERTS: dict[tuple[str, tuple[str, ...]], tuple[str, dict]] = {}


def _utc_naive(value: object) -> str:
    """Datetimes as the columns keep them (UTCDateTime: UTC without a zone)."""
    if isinstance(value, datetime):
        return (value if value.tzinfo is UTC else value.astimezone(UTC)).replace(tzinfo=None).isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON row")


# --- the writer -----------------------------------------------------------------------------------------------------


class Intake:
    """One writer thread per process: it takes every ticket waiting and creates them in one batch.

    Requests await their outcome without holding a thread each; the writer starts with the first ticket.
    """

    def __init__(self, sessions: sessionmaker[Session], business: Business, max_batch: int = MAX_BATCH):
        self.sessions, self.business, self.max_batch = sessions, business, max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def submit(self, draft: Draft) -> Outcome:
        """Create the draft's ticket (in whatever batch it lands); raises what creating it raised."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._start()
        self._queue.put((draft, future, loop))
        outcome = await future
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="ticket-intake", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
            try:
                with self.sessions() as session:
                    outcomes = create_tickets(session, self.business, [draft for draft, _, _ in batch])
            except Exception as exc:  # no session at all (the database is down): every request learns why
                outcomes = [exc] * len(batch)
            for (_, future, loop), outcome in zip(batch, outcomes, strict=True):
                loop.call_soon_threadsafe(_settle, future, outcome)


def _settle(future: asyncio.Future, outcome: Outcome | Exception) -> None:
    if not future.done():  # the request may have been cancelled (client gone): the ticket exists all the same
        future.set_result(outcome)
