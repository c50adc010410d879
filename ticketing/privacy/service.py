"""Everything held about a customer, exported or erased on a supervisor's request, and the audit of both.

A customer (a "subject") is named by an email, a phone or both. What is held about them:
- their customer rows (matched by email whatever its capitals, or by phone as stored);
- the tickets of those customers, and any ticket opened in one of their bot conversations;
- each ticket's messages (the bot transcript and the live ones), timeline and CSAT answer;
- their bot conversations, as Rasa's tracker store holds them (the Rasa server reads and erases them);
- the questions the bot could not answer in those conversations (KB gaps).

Erasure order: the conversations are erased in the bot first (each erasure is idempotent); only when all are gone
is the database anonymised, in one transaction with its audit record. If the bot cannot be reached nothing is
changed and the supervisor is told to try again.
"""

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, cast, delete, false, func, literal, or_, select, update
from sqlalchemy.orm import Session, selectinload

from ticketing.channels.models import ChannelReceipt, OutboundMessage
from ticketing.conversations.models import Conversation
from ticketing.customers.models import Customer
from ticketing.kb.models import KbGap
from ticketing.privacy.conversations import BotUnavailable
from ticketing.privacy.models import PrivacyRequest
from ticketing.privacy.text import ERASED, withhold
from ticketing.tickets.models import CsatAnswer, Ticket, TicketEvent

log = logging.getLogger(__name__)
ERASED_NAME = "Erased customer"
RASA_PREFIX = "rasa:"  # the bot's customers carry external_id "rasa:<conversation id>"


@dataclass(frozen=True)
class Subject:
    email: str | None = None
    phone: str | None = None

    @property
    def kind(self) -> str:
        return "+".join(k for k, v in (("email", self.email), ("phone", self.phone)) if v)

    def phones(self) -> list[str]:
        """The phone as given and in the forms it is stored in (E.164 from the bot, digits)."""
        if not self.phone:
            return []
        digits = re.sub(r"\D", "", self.phone)
        return sorted({self.phone.strip(), digits, f"+{digits}"} - {"", "+"})

    def whatsapp_ids(self) -> list[str]:
        """The phone as WhatsApp names a conversation (its wa_id: country code and number, digits only)."""
        digits = re.sub(r"\D", "", self.phone or "")
        return [digits] if len(digits) >= 8 else []

    def reference(self, key: str) -> str:
        """A keyed hash naming the subject in the audit without the subject's data."""
        parts = []
        if self.email:
            parts.append(f"email:{self.email.strip().lower()}")
        if self.phone:
            parts.append(f"phone:{re.sub(r'[^0-9]', '', self.phone)}")
        return hmac.new(key.encode(), "|".join(parts).encode(), hashlib.sha256).hexdigest()


@dataclass
class Holdings:
    """What the backend holds about a subject."""

    customers: list[Customer] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    csat: dict[int, CsatAnswer] = field(default_factory=dict)
    gaps: list[KbGap] = field(default_factory=list)
    conversation_ids: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.customers and not self.tickets


@dataclass
class Erasure:
    outcome: str  # erased | nothing_held
    tickets: list[str]
    customers: int
    conversations: int
    conversation_events: int
    pending_tickets: int
    kb_questions: int
    subject_ref: str


def find_holdings(session: Session, subject: Subject) -> Holdings:
    """Everything the backend holds about the subject (see the module's docstring)."""
    matches = []
    if subject.email:
        matches.append(func.lower(Customer.email) == subject.email.strip().lower())
    if subject.phone:
        matches.append(Customer.phone.in_(subject.phones()))
    if subject.phone:
        matches.append(Customer.external_id.in_([RASA_PREFIX + wa_id for wa_id in subject.whatsapp_ids()]))
    customers = list(session.scalars(select(Customer).where(or_(*matches)).order_by(Customer.id)))
    # Their conversations: the bot customers' ids, their tickets' conversations, and on WhatsApp the number itself
    # (the conversation is named by it, with or without a ticket, consented or not).
    conversations = {c.external_id.removeprefix(RASA_PREFIX) for c in customers if _from_bot(c)}
    conversations |= set(subject.whatsapp_ids())
    query = select(Ticket).options(selectinload(Ticket.messages), selectinload(Ticket.events))
    own = Ticket.customer_id.in_([c.id for c in customers]) if customers else false()
    tickets = list(session.scalars(query.where(own).order_by(Ticket.id))) if customers else []
    conversations |= {t.conversation_id for t in tickets if t.conversation_id}
    if conversations:
        # A ticket opened in one of their conversations is theirs too (one they did not consent to store, say).
        more = query.where(Ticket.conversation_id.in_(sorted(conversations)), ~own).order_by(Ticket.id)
        tickets += list(session.scalars(more))
    ids = [t.id for t in tickets]
    csat = {a.ticket_id: a for a in session.scalars(select(CsatAnswer).where(CsatAnswer.ticket_id.in_(ids)))}
    gaps = []
    if conversations:
        gaps = list(session.scalars(select(KbGap).where(KbGap.conversation_id.in_(sorted(conversations)))))
    return Holdings(customers, tickets, csat, gaps, sorted(conversations))


def _from_bot(customer: Customer) -> bool:
    return bool(customer.external_id and customer.external_id.startswith(RASA_PREFIX))


def record(
    session: Session,
    kind: str,
    subject: Subject,
    *,
    actor: str,
    outcome: str,
    tickets: list[str],
    conversations: int,
    key: str,
    now: datetime,
) -> PrivacyRequest:
    """Add the request to the audit trail (committed with the caller's transaction)."""
    entry = PrivacyRequest(
        kind=kind,
        actor=actor,
        subject_ref=subject.reference(key),
        subject_kind=subject.kind,
        outcome=outcome,
        tickets=tickets,
        conversations=conversations,
        created_at=now,
    )
    session.add(entry)
    return entry


def export_subject(
    session: Session,
    subject: Subject,
    *,
    read_conversation: Callable[[str], list[dict]],
    actor: str,
    key: str,
    now: datetime,
) -> tuple[Holdings, dict[str, list[dict]]]:
    """Everything held about the subject, with their bot conversations as stored; recorded on the audit trail."""
    holdings = find_holdings(session, subject)
    read = {cid: read_conversation(cid) for cid in holdings.conversation_ids}  # BotUnavailable: nothing recorded
    conversations = {cid: events for cid, events in read.items() if events}
    record(
        session,
        "export",
        subject,
        actor=actor,
        outcome="nothing_held" if holdings.empty and not conversations else "exported",
        tickets=[t.number for t in holdings.tickets],
        conversations=len(conversations),
        key=key,
        now=now,
    )
    session.commit()
    return holdings, conversations


def erase_subject(
    session: Session,
    subject: Subject,
    *,
    erase_conversation: Callable[[str], dict],
    actor: str,
    key: str,
    now: datetime,
) -> Erasure:
    """Erase everything held about the subject: conversations in the bot, then the database, audited. Idempotent:
    once erased, nothing matches the subject any more and the answer is `nothing_held`."""
    erased: set[str] = set()
    events = pending = held = 0
    for _ in range(3):
        holdings = find_holdings(session, subject)
        if erased.issuperset(holdings.conversation_ids):
            break
        for conversation_id in sorted(set(holdings.conversation_ids) - erased):
            done = erase_conversation(conversation_id)  # BotUnavailable: nothing in the database has changed
            events += int(done.get("events_deleted", 0))
            pending += int(done.get("pending_tickets_deleted", 0))
            held += bool(done.get("events_deleted") or done.get("pending_tickets_deleted"))
            erased.add(conversation_id)
        # Read again: a ticket created meanwhile (from the bot's outbox, say) in another conversation goes too.
        session.rollback()
    numbers = [t.number for t in holdings.tickets]
    if not holdings.empty:
        _anonymise(session, holdings, actor=actor, now=now)
    _forget_conversations(session, holdings)
    outcome = "nothing_held" if holdings.empty and not events and not pending else "erased"
    record(
        session,
        "erasure",
        subject,
        actor=actor,
        outcome=outcome,
        tickets=numbers,
        conversations=held,
        key=key,
        now=now,
    )
    session.commit()
    if not holdings.empty or held:
        # A reply delivered while the database was being erased would have opened a conversation again.
        for conversation_id in sorted(erased):
            try:
                erase_conversation(conversation_id)
            except BotUnavailable:
                log.warning("a conversation could not be erased a second time; the first erasure stands")
    return Erasure(
        outcome=outcome,
        tickets=numbers,
        customers=len(holdings.customers),
        conversations=held,
        conversation_events=events,
        pending_tickets=pending,
        kb_questions=len(holdings.gaps),
        subject_ref=subject.reference(key),
    )


def _anonymise(session: Session, holdings: Holdings, *, actor: str, now: datetime) -> None:
    """Tickets keep their shape (category, priority, SLA, timeline) for the metrics; nothing says who it was."""
    known = [v for c in holdings.customers for v in (c.name, c.email, c.phone)]
    known += [t.order_number for t in holdings.tickets]
    for ticket in holdings.tickets:
        ticket.description = ERASED
        ticket.subject = None
        ticket.order_number = None
        ticket.conversation_id = None
        ticket.idempotency_key = None
        ticket.extra = {}
        for message in ticket.messages:
            if message.author == "customer":
                message.body = ERASED
            else:  # the bot's and the agents' words stay, without the customer's details (an agent may quote them)
                message.body = withhold(message.body, known, patterns=message.author == "agent", mark=ERASED)
        if (answer := holdings.csat.get(ticket.id)) is not None:
            answer.comment = None
        ticket.updated_at = now
        session.add(
            TicketEvent(
                ticket=ticket,
                kind="personal_data_erased",
                actor=actor,
                reason="the customer's personal data was erased on request",
                data={},
                created_at=now,
            )
        )
    for customer in holdings.customers:
        customer.name, customer.email, customer.phone, customer.external_id = ERASED_NAME, None, None, None
        customer.consent = False


def _forget_conversations(session: Session, holdings: Holdings) -> None:
    """What the backend keeps under the subject's conversation ids (erased from the bot already)."""
    if holdings.gaps:
        session.execute(delete(KbGap).where(KbGap.id.in_([g.id for g in holdings.gaps])))
    conversations = holdings.conversation_ids
    # Replies still on their way would open the erased conversation again; delivered ones name it.
    outbound = [OutboundMessage.ticket_id.in_([t.id for t in holdings.tickets])]
    if conversations:
        outbound.append(OutboundMessage.conversation_id.in_(conversations))
        # Deflection keeps counting the conversation, under a name that says nothing (the number, on WhatsApp).
        session.execute(
            update(Conversation)
            .where(Conversation.conversation_id.in_(conversations))
            .values(conversation_id=literal("erased:") + cast(Conversation.id, String))
        )
    erased = select(OutboundMessage.id).where(or_(*outbound))
    session.execute(delete(ChannelReceipt).where(ChannelReceipt.outbound_id.in_(erased)))
    session.execute(delete(OutboundMessage).where(or_(*outbound)))


def forget_conversation_questions(session: Session, conversation_id: str) -> int:
    """A customer declined consent: the questions they asked the bot in that conversation (KB gaps) go.

    They were recorded before the consent question, as typed; a name or an address in them cannot be told apart
    reliably, so the editors lose these few questions rather than the customer's wish being half kept."""
    deleted = session.execute(delete(KbGap).where(KbGap.conversation_id == conversation_id)).rowcount
    session.commit()
    return deleted


def audit_trail(session: Session, *, limit: int, offset: int) -> tuple[list[PrivacyRequest], int]:
    total = session.scalar(select(func.count(PrivacyRequest.id))) or 0
    rows = session.scalars(select(PrivacyRequest).order_by(PrivacyRequest.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total
