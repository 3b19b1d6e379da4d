"""Job manifests from YAML files: one or many documents, each remembering the line it started on.

Users hand the SDK and the CLI files they wrote by hand, so a syntax error must point at `file:line`, and an
empty document or a non-mapping must say which one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ManifestError(ValueError):
    """A manifest that is not a sequence of YAML mappings; the message starts with `file:line`."""


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document and where it starts, for messages about it."""

    body: dict[str, Any]
    source: str

    @property
    def label(self) -> str:
        """`Kind/name` as the CLI prints it."""
        meta = self.body.get("metadata") or {}
        return f"{self.body.get('kind')}/{meta.get('name') or meta.get('generateName') or '?'}"


#: the API server refuses larger request bodies; a bigger file cannot hold jobs it would accept
MAX_BYTES = 3 * 1024 * 1024


def load_file(path: Path) -> list[Document]:
    """Every non-empty document of a YAML file (`-` reads standard input is left to the caller)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise ManifestError(f"{path}: cannot read: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise ManifestError(f"{path}: larger than {MAX_BYTES // 2**20} MiB, the API server's request limit")
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: not a YAML file (not UTF-8 text)") from None
    return load_text(text, source=str(path))


def load_text(text: str, *, source: str = "<string>") -> list[Document]:
    """Parse multi-document YAML; every document must be a mapping."""
    loader = yaml.SafeLoader(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            line = node.start_mark.line + 1
            body = loader.construct_document(node)
            if body is None:
                continue
            if not isinstance(body, dict):
                raise ManifestError(
                    f"{source}:{line}: expected a mapping (an object), got {type(body).__name__}"
                )
            documents.append(Document(body, f"{source}:{line}"))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ManifestError(f"{where}: invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise ManifestError(f"{source}: invalid YAML: {error}") from None
    finally:
        loader.dispose()
    return documents
