"""The JSON list writer's text is the json module's, whichever encoder made it, and reads back."""

import io
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.jsonlist import JsonListWriter, dumps, json_list, read_json_list

_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(_values)
def test_an_item_is_written_as_the_json_module_writes_it(item):
    assert dumps(item) == json.dumps(item, ensure_ascii=False, indent=2)


def test_floats_pydantic_writes_otherwise_take_the_json_module_s_way():
    for x in (1e-05, 4.87e-06, -3.7e-09, 1e16, 1.5e300, 0.0001, 4.83, 100.0, math.inf, -math.inf):
        assert dumps({"v": [x]}) == json.dumps({"v": [x]}, ensure_ascii=False, indent=2)


@settings(max_examples=100, deadline=None)
@given(st.lists(_values, max_size=5))
def test_a_list_written_item_by_item_is_one_json_dumps_and_reads_back(items):
    whole = json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    assert "".join(json_list(items)) == whole
    out = io.StringIO()
    writer = JsonListWriter(out)
    for item in items:
        writer.add(item)
    writer.close()
    assert out.getvalue() == whole
    back = list(read_json_list(io.StringIO(whole), chunk=7))  # items cut across reads
    assert json.dumps(back) == json.dumps(items)  # NaN != NaN: compare as text


def test_a_table_with_a_digest_takes_the_fast_way():
    """A sha256 holds `2e0`-like text in a string: only number tokens decide the encoder."""
    import pydantic_core

    from jixiao.jsonlist import alike

    item = {"sha256": "47d3a15d22d79937a069b4c8f085fb44fb8a342ce21e02d5f4e1bb480d3b76e8", "bbox": [1.5, 2e-05],
            "note": "1e-7 in words"}
    text = pydantic_core.to_json(item, indent=2).decode()
    assert not alike(text)  # 2e-05 is a number pydantic writes as 0.00002
    item["bbox"] = [1.5, 72.25]
    assert alike(pydantic_core.to_json(item, indent=2).decode())
    assert dumps(item) == json.dumps(item, ensure_ascii=False, indent=2)
