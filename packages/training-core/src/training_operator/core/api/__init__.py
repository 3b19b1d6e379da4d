"""Wire models shared by every job kind: pydantic at the boundary, camelCase only on the wire."""
