"""The engine copies templates with `json_copy`: equal to the original, sharing no dict or list with it, so
editing one pod's body can never change the job's template or another pod's body."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from training_operator.core.engine.json_copy import json_copy

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def containers(value, found):
    if isinstance(value, dict | list):
        found.append(value)
        for item in value.values() if isinstance(value, dict) else value:
            containers(item, found)
    return found


@given(JSON)
def test_a_copy_is_equal_and_shares_no_container(value):
    copied = json_copy(value)
    assert copied == value
    originals = {id(c) for c in containers(value, [])}
    assert not originals & {id(c) for c in containers(copied, [])}


def test_a_shared_sub_object_becomes_two_copies_and_editing_one_leaves_the_template():
    env = [{"name": "A", "value": "1"}]
    template = {"spec": {"containers": [{"name": "a", "env": env}, {"name": "b", "env": env}]}}
    pod = json_copy(template)
    pod["spec"]["containers"][0]["env"].append({"name": "B", "value": "2"})
    assert template["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    assert pod["spec"]["containers"][1]["env"] == [{"name": "A", "value": "1"}]


def test_values_of_other_types_are_deep_copied():
    stamp = datetime(2024, 5, 1, tzinfo=UTC)
    nested = {"when": stamp, "pair": ([1], {"k": [2]})}
    copied = json_copy(nested)
    assert copied == nested
    assert copied["pair"][0] is not nested["pair"][0]
