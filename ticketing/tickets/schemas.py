"""Request and response models of the ticket API (v1)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, EmailStr, Field, StrictBool, StringConstraints

from ticketing.validation import InputModel, Moment, json_int

Channel = Literal["web", "whatsapp", "email", "api", "facebook", "instagram", "twitter"]
Language = Literal["es", "en"]
Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["new", "open", "pending", "resolved", "closed"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


_In = InputModel


class CustomerIn(_In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    external_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    plan: Literal["standard", "vip"] = "standard"
    language: Language | None = None


class TranscriptLine(_In):
    sender: Literal["customer", "bot", "agent"]
    text: Annotated[str, StringConstraints(max_length=10000)]
    timestamp: Moment


class TicketIn(_In):
    customer: CustomerIn
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    channel: Channel = "api"
    language: Language | None = None
    conversation_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    transcript: list[TranscriptLine] = Field(default_factory=list, max_length=500)
    order_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    consent: StrictBool
    received_at: Moment | None = None
    category_hint: Annotated[str, StringConstraints(max_length=60)] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class SlaOut(BaseModel):
    policy: str | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    state: str = "ok"
    first_responded_at: datetime | None = None


class TicketOut(BaseModel):
    id: int
    number: str
    status: Status
    category: str
    subcategory: str | None
    priority: Priority
    priority_reasons: list[str]
    team: str
    assignee: str | None
    tier: int
    language: Language
    channel: Channel
    subject: str | None
    description: str
    customer: dict[str, Any]
    order_number: str | None
    conversation_id: str | None
    consent: bool
    sla: SlaOut
    received_at: datetime
    created_at: datetime
    updated_at: datetime


class WhatsAppDeliveryOut(BaseModel):
    """Meta's latest status for the message (for a long text split in several: the least advanced piece's)."""

    status: Literal["sent", "delivered", "read", "failed"]
    error: str | None = Field(description="Meta's code and reason, when WhatsApp could not deliver it")
    at: datetime | None = Field(description="When it happened, as Meta says")


class DeliveryOut(BaseModel):
    """How a message on its way to the customer is doing."""

    status: Literal["pending", "delivered", "failed"]
    attempts: int = Field(description="Sends tried so far")
    last_error: str | None = Field(description="Why the last try did not deliver it, if it did not")
    delivered_at: datetime | None
    whatsapp: WhatsAppDeliveryOut | None = Field(
        default=None, description="On WhatsApp: what Meta says happened to it once the channel sent it"
    )


class MessageOut(BaseModel):
    id: int
    author: str
    agent: str | None
    body: str
    internal: bool
    source: str
    created_at: datetime
    delivery: DeliveryOut | None = Field(
        default=None, description="For a public agent reply to a ticket with a conversation: its delivery to it"
    )


class EventOut(BaseModel):
    kind: str
    actor: str
    reason: str | None
    data: dict[str, Any]
    created_at: datetime


class TicketLookupIn(_In):
    """A customer asks for a ticket's status: its number, their conversation, and an email they gave in it."""

    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    conversation_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    # Compared with the ticket's email, not validated: an address that is no ticket's simply matches nothing.
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None


class TicketStatusOut(BaseModel):
    """What a customer may hear about their own ticket."""

    id: int
    number: str
    status: Status
    team: str
    priority: Priority
    language: Language
    sla: SlaOut


class WhatsAppWindowOut(BaseModel):
    """WhatsApp's 24-hour window: while open, agents' replies go as text; after it, only an approved template."""

    open: bool
    last_customer_message_at: datetime | None
    closes_at: datetime | None
    replies: Literal["text", "template", "undeliverable"] = Field(
        description="How an agent's reply goes now: as text (open), as the approved template (closed), or not at all "
        "(closed, and the business file names no template for agent replies)"
    )
    reply_template: str | None = Field(description="The approved template for agent replies outside the window")


class CsatView(BaseModel):
    """The customer's rating of the help they got, asked when the ticket was resolved."""

    score: int = Field(ge=1, le=5)
    comment: str | None
    answered_at: datetime


class TicketDetail(TicketOut):
    messages: list[MessageOut]
    timeline: list[EventOut]
    whatsapp_window: WhatsAppWindowOut | None = None  # WhatsApp tickets only
    csat: CsatView | None = None  # once the customer has rated it


class TicketPage(BaseModel):
    items: list[TicketOut]
    total: int
    limit: int
    offset: int


class TicketPatch(_In):
    status: Status | None = None
    priority: Priority | None = None
    team: str | None = None
    assignee: EmailStr | None = None
    tier: json_int(ge=1, le=5) | None = None
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class MessageIn(_In):
    author: Literal["agent", "customer"]
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
    internal: StrictBool = False


class CsatIn(_In):
    score: json_int(ge=1, le=5)
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class CsatOut(BaseModel):
    ticket_id: int
    score: int
    comment: str | None


class ClassifyIn(_In):
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    channel: Channel = "api"
    language: Language | None = None
    plan: Literal["standard", "vip"] = "standard"
    customer_email: EmailStr | None = None
    category_hint: Annotated[str, StringConstraints(max_length=60)] | None = None


class ClassifyOut(BaseModel):
    category: str
    subcategory: str | None
    confidence: float
    priority: Priority
    priority_reasons: list[str]
    team: str
    tier: int
    language: Language
    sla: SlaOut
