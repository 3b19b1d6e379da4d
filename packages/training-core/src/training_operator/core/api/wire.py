"""The one pydantic configuration every wire model uses.

Field names are snake_case in Python and camelCase on the wire (so validation errors report the paths users
wrote), models are frozen (defaulting returns new objects), and unknown fields are kept, so a job written by a
newer client survives a parse → serialize round trip unchanged.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """Base of every Kubernetes-facing model: camelCase aliases, frozen, lossless for unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
        extra="allow",
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object as the API server stores it: only the fields that were given or defaulted."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)
