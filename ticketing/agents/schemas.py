from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
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
