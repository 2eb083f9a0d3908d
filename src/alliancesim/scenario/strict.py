"""The base of every schema model: no unknown fields, frozen, finite numbers, and strict types.

YAML reads ``true`` and ``yes`` as booleans, and pydantic's lax mode would take a boolean as
the number 1 (``trials: true`` ran one trial). Here a boolean is accepted only by a field whose
type is a boolean; anywhere else, directly or inside a list or mapping of plain values, it is
an error naming the field. (Numbers are not taken for strings either: that is pydantic's own
rule.)
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def _mentions(annotation: Any, kind: type) -> bool:
    """Whether `kind` (or a subclass) appears anywhere in a type annotation."""
    if isinstance(annotation, type):
        return issubclass(annotation, kind)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return any(isinstance(a, kind) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _mentions(typing.get_args(annotation)[0], kind)
    if origin is not None or isinstance(annotation, types.UnionType):
        return any(_mentions(a, kind) for a in typing.get_args(annotation))
    return False


def _has_bool(value: Any, deep: bool) -> bool:
    if isinstance(value, bool):
        return True
    if not deep:
        return False
    if isinstance(value, dict):
        return any(_has_bool(v, deep) for v in value.values())
    if isinstance(value, list):
        return any(_has_bool(v, deep) for v in value)
    return False


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        by_key = {f.alias or name: f for name, f in cls.model_fields.items()}
        by_key.update(cls.model_fields)
        for key, value in data.items():
            field = by_key.get(key)
            if field is None or _mentions(field.annotation, bool):
                continue
            # models inside the field check their own fields
            if _has_bool(value, deep=not _mentions(field.annotation, BaseModel)):
                raise ValueError(f"{key}: true/false is not a valid value here (a number, text "
                                 "or one of the field's documented choices is)")
        return data
