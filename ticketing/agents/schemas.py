from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, StringConstraints

from ticketing.validation import InputModel


class LoginIn(InputModel):
    email: EmailStr
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class StatusIn(InputModel):
    status: Literal["online", "away", "offline"]


class AgentOut(BaseModel):
    email: str
    name: str
    teams: list[str]
    skills: list[str]
    languages: list[str]
    tier: int
    capacity: int
    open_assigned: int
    status: str
    shift: str | None
    vip_enabled: bool
    supervisor: bool


class LoginOut(BaseModel):
    token: str
    agent: AgentOut
