"""The base of the record models: immutable once built, and no field the schema does not name."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Immutable, and a record with an unknown field is refused (a contract change is explicit)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class FrozenStripped(Frozen):
    """`Frozen`, and every string loses its surrounding whitespace: the papers and profiles models
    (the linking events are plain `Frozen`, as they always were)."""

    model_config = ConfigDict(str_strip_whitespace=True)
