"""Property tests: no input makes the value parser or the extractor crash, and parsing is stable."""

from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.chunk import Chunk, chunk_rows
from jixiao.extract.rules import extract, split_goals
from jixiao.document import Cell, Line, Row
from jixiao.values import parse_amount, parse_value, squash

# Text drawn from the characters these tables are made of, plus anything else.
ALPHABET = st.sampled_from(list("≥≤><=≧≦＞＜＝%％.．,，:：;；()（）[]【】-—|　 \n\t0123456789０１２") +
                           list("指标目标值年度月日万元亿次人项目名称主管部门实施单位属性期资金总额其中财政拨款其他满意度产出效益数量质量时效成本社会生态可持续影响服务对象一级二级三级不低于以上以内提升"))
TEXT = st.text(ALPHABET, max_size=40) | st.text(max_size=20)


@given(TEXT)
def test_parse_value_total_and_stable(text):
    op, value, unit = parse_value(text)
    assert op in (None, "≥", "≤", ">", "<", "=")
    assert (op is None) == (value is None)
    assert value is None or isinstance(value, (int, float))
    assert unit is None or (unit and not any(ch.isspace() for ch in unit))
    # stable: whitespace does not change the reading, and parsing twice gives the same
    assert parse_value(squash(text)) == (op, value, unit) == parse_value(text)


@given(TEXT)
def test_parse_amount_total(text):
    value = parse_amount(text)
    assert value is None or isinstance(value, (int, float))


@given(TEXT)
def test_split_goals_gives_clean_strings(text):
    for goal in split_goals(text):
        assert goal and not any(ch.isspace() for ch in goal)


def _rows(lines: list[list[str]]) -> list[Row]:
    return [Row([Cell(t, [Line(t, None, None, n)]) for t in cells]) for n, cells in enumerate(lines, 1) if cells]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(TEXT, min_size=1, max_size=5), max_size=30))
def test_extractor_never_crashes(lines):
    rows = _rows(lines)
    for chunk in chunk_rows([rows]):
        result = extract(chunk)
        for ind in result.table.indicators:
            assert ind.name and not any(ch.isspace() for ch in ind.name)
    # and on the whole row list as one chunk, whatever it holds
    extract(Chunk(rows=rows))
