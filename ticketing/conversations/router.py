"""The bot reports the conversations it handles, so deflection is computed from what really happened."""

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, StrictBool, StringConstraints

from ticketing.conversations import service
from ticketing.deps import NowDep, PrincipalDep, SessionDep
from ticketing.errors import Forbidden, error_responses
from ticketing.validation import InputModel

router = APIRouter(prefix="/api/v1", tags=["conversations"])


class ConversationIn(InputModel):
    conversation_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    language: Literal["es", "en"]
    channel: Literal["web", "whatsapp", "email", "api", "facebook", "instagram", "twitter"] | None = None
    answered: StrictBool = False


class ConversationOut(BaseModel):
    conversation_id: str
    kb_answers: int


@router.post(
    "/conversations",
    status_code=201,
    response_model=ConversationOut,
    responses=error_responses(400, 401, 403, 413, 422),
)
def report_conversation(conversation_in: ConversationIn, session: SessionDep, principal: PrincipalDep, now: NowDep):
    """The bot handled a message of this conversation (answered from the KB or not); service callers only."""
    if principal.kind != "service":
        raise Forbidden("only the bot reports conversations")
    conversation = service.record_conversation(
        session,
        conversation_id=conversation_in.conversation_id,
        language=conversation_in.language,
        channel=conversation_in.channel,
        answered=conversation_in.answered,
        now=now,
    )
    return {"conversation_id": conversation.conversation_id, "kb_answers": conversation.kb_answers}
