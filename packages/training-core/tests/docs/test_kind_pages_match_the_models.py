"""The committed kind reference pages (docs/kinds/*.md) are what the generator writes today, and every spec
field of every installed kind is documented under its wire path.

The field check walks the pydantic models directly (not the JSON schema the generator reads), so a field the
generator skipped is caught even when the pages are current.
"""

import types
import typing
from pathlib import Path

import pydantic
import pytest

from training_operator.core import discovery, docgen
from training_operator.core.testing.demo_kind import DemoFramework

PAGES = Path(__file__).resolve().parents[4] / "docs" / "kinds"
FRAMEWORKS = discovery.discover()


def test_committed_pages_are_current(capsys):
    assert docgen.main(["--out", str(PAGES), "--check"]) == 0, capsys.readouterr().err


def test_check_names_a_drifted_page_and_how_to_fix_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(discovery, "discover", lambda: {"demojob": DemoFramework()})
    assert docgen.main(["--out", str(tmp_path)]) == 0
    assert docgen.main(["--out", str(tmp_path), "--check"]) == 0
    page = tmp_path / "demojob.md"
    page.write_text(page.read_text() + "hand edit\n")
    assert docgen.main(["--out", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "python -m training_operator.core.docgen --out" in err
    assert str(page) in err


def test_check_fails_when_a_page_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "discover", lambda: {"demojob": DemoFramework()})
    assert docgen.main(["--out", str(tmp_path), "--check"]) == 1


def model_paths(model, prefix, replica_key):
    """Wire paths of every field below a pydantic model, walking Optional, dict and list annotations."""
    for name, field in model.model_fields.items():
        alias = field.alias or name
        path = f"{prefix}.{alias}"
        yield path
        yield from annotation_paths(field.annotation, path, replica_key, alias == replica_key)


def annotation_paths(annotation, path, replica_key, is_replica_map):
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            if arg is not type(None):
                yield from annotation_paths(arg, path, replica_key, is_replica_map)
    elif origin is not None and issubclass(origin, typing.Mapping) and len(args) == 2:
        key = "<replicaType>" if is_replica_map else "<key>"
        yield from annotation_paths(args[1], f"{path}.{key}", replica_key, False)
    elif origin is list and args:
        yield from annotation_paths(args[0], f"{path}[]", replica_key, False)
    elif isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        yield from model_paths(annotation, path, replica_key)


@pytest.mark.parametrize("scheme", sorted(FRAMEWORKS))
def test_every_spec_field_is_documented(scheme):
    framework = FRAMEWORKS[scheme]
    page = (PAGES / docgen.file_name(framework.kind)).read_text()
    spec_model = framework.model.model_fields["spec"].annotation
    paths = set(model_paths(spec_model, "spec", framework.kind.replica_map_key))
    assert paths, scheme
    missing = sorted(p for p in paths if f"| `{p}` |" not in page)
    assert not missing, f"{scheme}: undocumented spec fields {missing}"


@pytest.mark.parametrize("scheme", sorted(FRAMEWORKS))
def test_page_states_the_kind_constants(scheme):
    kind = FRAMEWORKS[scheme].kind
    page = (PAGES / docgen.file_name(kind)).read_text()
    assert f"`{kind.api_version}`" in page
    assert f"`{kind.default_container}`" in page
    assert f"Default restart policy: `{kind.default_restart_policy.value}`" in page
    for replica_type in kind.replica_types:
        assert f"`{replica_type}`" in page
    for short_name in kind.short_names:
        assert f"`{short_name}`" in page
    assert "| State | string | `.status.conditions[-1:].type` |" in page
    assert "| Age | date | `.metadata.creationTimestamp` |" in page
