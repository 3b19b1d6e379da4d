"""`render` prints YAML through unified.emitter: what it writes reads back as the data given, in
PyYAML's layout, for scalars YAML would otherwise misread (booleans, nulls, numbers, dates, comments,
line breaks, unicode) and nested empty and non-empty containers."""

import yaml
from hypothesis import given
from hypothesis import strategies as st

from training_operator.unified import emitter

TRICKY = [
    "yes",
    "on",
    "No",
    "~",
    "null",
    "1.5",
    "012",
    "0x1f",
    "2024-01-01",
    ".inf",
    "a: b",
    "#x",
    "- x",
    "",
    " lead",
    "trail ",
    "two\nlines\n",
    "ünï",
    "@at",
    "a #b",
    "'q'",
    '"d"',
    "x" * 120,
    "plain-word",
]
scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)


@given(st.lists(json_like, min_size=1, max_size=3))
def test_every_document_reads_back(documents):
    assert list(yaml.safe_load_all(emitter.dump_all(documents))) == documents


def test_layout_is_pyyamls_for_a_pod():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "job-worker-0", "labels": {"replica-index": "0"}},
        "spec": {"containers": [{"name": "pytorch", "ports": [{"containerPort": 23456}], "env": []}]},
    }
    assert emitter.dump_all([pod, pod]) == yaml.safe_dump_all([pod, pod], sort_keys=False)
