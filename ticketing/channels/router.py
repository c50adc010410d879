"""What the WhatsApp channel tells the backend about the messages it carried: Meta's delivery statuses."""

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from ticketing.channels import receipts
from ticketing.deps import NowDep, PrincipalDep, SessionDep
from ticketing.errors import Forbidden, error_responses
from ticketing.validation import MAX_DB_INT, InputModel, json_int

router = APIRouter(prefix="/api/v1", tags=["channels"])

Text = Annotated[str, StringConstraints(max_length=1000)]


class WhatsAppErrorIn(InputModel):
    """One of Meta's errors on a failed status: its code and what it says."""

    code: json_int(ge=0, le=MAX_DB_INT) | None = None
    title: Text | None = None
    message: Text | None = None
    details: Text | None = Field(default=None, description="Meta's error_data.details")


class WhatsAppStatusIn(InputModel):
    wamid: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    status: Literal["sent", "delivered", "read", "failed"]
    timestamp: json_int(ge=0, le=4102444800) | None = Field(default=None, description="When, per Meta (epoch seconds)")
    outbound_id: json_int(ge=1, le=MAX_DB_INT) | None = Field(
        default=None, description="The outbox message this wamid carried, when the channel knows it"
    )
    errors: list[WhatsAppErrorIn] = Field(default=[], max_length=10)


class WhatsAppStatusesIn(InputModel):
    statuses: list[WhatsAppStatusIn] = Field(min_length=1, max_length=200)


class WhatsAppStatusesOut(BaseModel):
    recorded: int = Field(description="Statuses recorded against an outbox message")
    unknown: list[str] = Field(description="wamids of no outbox message (the bot's own answers): not kept")


@router.post(
    "/channels/whatsapp/statuses",
    response_model=WhatsAppStatusesOut,
    responses=error_responses(400, 401, 403, 413, 422),
)
def whatsapp_statuses(statuses_in: WhatsAppStatusesIn, session: SessionDep, principal: PrincipalDep, now: NowDep):
    """Meta's delivery statuses (sent, delivered, read, failed) of the messages the outbox sent; the channel only."""
    if principal.kind != "service":
        raise Forbidden("only the WhatsApp channel reports delivery statuses")
    reports = [
        receipts.StatusReport(
            wamid=s.wamid,
            status=s.status,
            timestamp=s.timestamp,
            outbound_id=s.outbound_id,
            errors=[
                {"code": e.code, "title": e.title, "message": e.message, "error_data": {"details": e.details}}
                for e in s.errors
            ],
        )
        for s in statuses_in.statuses
    ]
    recorded, unknown = receipts.record_statuses(session, reports, now)
    return {"recorded": recorded, "unknown": unknown}
