"""The base of the record models: immutable once built, and no field the schema does not name."""

from __future__ import annotations

import json
import typing
from functools import cache
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

# What a reader needs before it can read the rest of a record: its contract version, and every
# tag (a field that can hold one value only, such as `kind` or a verification's `method`: what
# tells the members of a union apart). `Frozen.wire` writes them in every record, even at their
# defaults.
VERSION = "schema_version"


class Frozen(BaseModel):
    """Immutable, and a record with an unknown field is refused (a contract change is explicit)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def wire(self) -> bytes:
        """The record as the pipeline writes it to Kafka and to its tables: JSON without the fields
        that hold their default (a reader fills them in from the contract, as for a record written
        before the field existed), but always with its version and tags (first), and every record
        nested in it that has some (a merge move's profile, a verification's evidence) written the
        same way."""
        plan = _plan(type(self))
        body = self.model_dump_json(exclude_defaults=True, exclude=plan.written_apart)
        parts = [f'"{name}":{json.dumps(getattr(self, name))}' for name in plan.labels]
        for name in plan.nested:
            parts.append(f'"{name}":{_nested(getattr(self, name))}')
        if body != "{}":
            parts.append(body[1:-1])
        return ("{" + ",".join(parts) + "}").encode()


class FrozenStripped(Frozen):
    """`Frozen`, and every string loses its surrounding whitespace: the papers and profiles models
    (the linking events are plain `Frozen`, as they always were)."""

    model_config = ConfigDict(str_strip_whitespace=True)


class _Plan(NamedTuple):
    labels: tuple[str, ...]  # the record's own version and tags
    nested: tuple[str, ...]  # fields holding records that have labels of their own, at any depth
    written_apart: set[str] | None  # both, left out of pydantic's part (None: nothing); never changed


@cache
def _plan(model: type[Frozen]) -> _Plan:
    fields = model.model_fields
    labels = tuple(name for name, field in fields.items() if name == VERSION or _is_tag(field.annotation))
    nested = tuple(name for name, field in fields.items() if any(_labelled(m) for m in _models_in(field.annotation)))
    return _Plan(labels, nested, set(labels + nested) or None)


def _is_tag(annotation: Any) -> bool:
    return typing.get_origin(annotation) is Literal and len(typing.get_args(annotation)) == 1


@cache
def _labelled(model: type[Frozen]) -> bool:
    """Whether the model, or a model it holds at any depth, has a version or a tag."""
    plan = _plan(model)
    return bool(plan.labels or plan.nested)


def _models_in(annotation: Any) -> list[type[Frozen]]:
    found = [annotation] if isinstance(annotation, type) and issubclass(annotation, Frozen) else []
    for argument in typing.get_args(annotation):
        found += _models_in(argument)
    return found


def _nested(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, Frozen):
        return value.wire().decode()
    return "[" + ",".join(_nested(item) for item in value) + "]"
