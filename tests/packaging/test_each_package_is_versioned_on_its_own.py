"""Every package has its own version and a changelog whose newest entry is that version; the operator
requires its siblings by compatible ranges (never exact pins) that the versions in this tree satisfy, each
range next to the path reference a clone installs from; framework packages require core the same way."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = sorted(p.parent for p in (ROOT / "packages").glob("*/pyproject.toml"))


def project(folder: Path) -> dict:
    return tomllib.loads((folder / "pyproject.toml").read_text())


def version_of(folder: Path) -> Version:
    about = folder / project(folder)["tool"]["hatch"]["version"]["path"]
    return Version(re.search(r'^__version__ = "([^"]+)"', about.read_text(), re.M).group(1))


VERSIONS = {canonicalize_name(project(f)["project"]["name"]): version_of(f) for f in FOLDERS}


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_the_changelogs_newest_entry_is_the_packages_version(folder):
    changelog = (folder / "CHANGELOG.md").read_text()
    newest = re.search(r"^## (\S+)", changelog, re.M)
    assert newest, f"{folder.name}/CHANGELOG.md has no '## <version>' entry"
    assert Version(newest.group(1)) == version_of(folder)


def sibling_requirements(folder: Path) -> list[tuple[str, str]]:
    """(requirement text, where) of every requirement on another of our packages."""
    data = project(folder)["project"]
    groups = {"dependencies": data.get("dependencies", []), **data.get("optional-dependencies", {})}
    return [
        (text, group)
        for group, texts in groups.items()
        for text in texts
        if text.startswith("training-operator-")
    ]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_siblings_are_required_by_a_satisfied_range_next_to_their_path(folder):
    ranged, pathed = {}, set()
    for text, group in sibling_requirements(folder):
        requirement = Requirement(text.replace("{root:parent:uri}", "file:///packages"))
        name = canonicalize_name(requirement.name)
        if requirement.url:
            pathed.add((group, name))
            continue
        operators = {spec.operator for spec in requirement.specifier}
        assert operators == {">=", "<"}, f"{text}: a compatible range, not a pin"
        assert VERSIONS[name] in requirement.specifier, f"{text} excludes {name} {VERSIONS[name]}"
        ranged[(group, name)] = text
    assert set(ranged) == pathed
