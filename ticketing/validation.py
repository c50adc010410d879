"""What every request must satisfy before a service sees it, whatever the endpoint.

- Text: no NUL characters and no unpaired UTF-16 surrogates (JSON can spell both: "\\u0000", "\\ud800"). PostgreSQL
  stores neither, and nothing a person types contains them.
- Numbers inside free-form JSON (`metadata`): finite (Python's JSON reader takes NaN and Infinity; no database does).
- Nesting: at most MAX_DEPTH levels.
- Moments: between the years 2000 and 2099, so the SLA arithmetic on a business calendar and the database's
  timestamp range are never left behind by a date centuries away.
- Ids and offsets: within the database's integer range (PostgreSQL `integer`, the narrower of the two databases).

Request bodies use `InputModel` as their base; path and query parameters use `DbId` and `Offset`. NUL characters in
the URL itself are refused for every route by `reject_nul_in_url` (see ticketing.web.security).
"""

import math
import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

MAX_DB_INT = 2**31 - 1
MAX_DEPTH = 32
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: Any, where: str = "", depth: int = 0) -> str | None:
    """Where a JSON value holds text or numbers no database can store, and why; None when it is clean."""
    if depth > MAX_DEPTH:
        return f"{where or 'body'}: nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, str):
        if _BAD_TEXT.search(value):
            return f"{where or 'body'}: text may not contain NUL characters or unpaired surrogates"
    elif isinstance(value, float):
        if not math.isfinite(value):
            return f"{where or 'body'}: numbers must be finite (no NaN or Infinity)"
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            problem = text_problem(key, path, depth + 1) or text_problem(item, path, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = text_problem(item, f"{where}[{index}]", depth + 1)
            if problem:
                return problem
    return None


class InputModel(BaseModel):
    """Base of every request body: unknown fields are refused, and so is text no database can store."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        problem = text_problem(data)
        if problem:
            raise PydanticCustomError("unstorable_input", problem)
        return data


def _plausible(moment: datetime) -> datetime:
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise PydanticCustomError("moment_out_of_range", f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return moment


Moment = Annotated[datetime, AfterValidator(_plausible)]


def _json_integer(value: Any) -> Any:
    if isinstance(value, bool | str):  # JSON true and "3" are not integers, whatever Python thinks
        raise PydanticCustomError("int_type", "Input should be an integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 3.0 is an integer in JSON Schema
    return value


def json_int(**constraints: int) -> Any:
    """An integer as JSON Schema means it: 3 and 3.0, never "3" or true. Constraints as Field's (ge=1, le=5).

    The bounds go before the validator: the other way round pydantic publishes them as `ge`/`le`, which JSON Schema
    does not know, instead of `minimum`/`maximum`.
    """
    return Annotated[int, Field(**constraints), BeforeValidator(_json_integer)]


DbId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT)]
