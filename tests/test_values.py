"""The value parser, table-driven over every form the contract and the issue name."""

import pytest

from jixiao.values import parse_amount, parse_value

CASES = [
    # comparison signs: full-width, half-width, ASCII, variants
    ("≥90%", "≥", 90, "%"),
    ("≤5万元", "≤", 5, "万元"),
    (">=95%", "≥", 95, "%"),
    ("<=2小时", "≤", 2, "小时"),
    ("≧3次", "≥", 3, "次"),
    ("≦10天", "≤", 10, "天"),
    ("＞＝９０％", "≥", 90, "%"),
    ("＞80分", ">", 80, "分"),
    ("<1%", "<", 1, "%"),
    ("=100%", "=", 100, "%"),
    ("＝1", "=", 1, None),
    # words
    ("不低于3次", "≥", 3, "次"),
    ("不少于50人", "≥", 50, "人"),
    ("不高于5%", "≤", 5, "%"),
    ("不超过10万元", "≤", 10, "万元"),
    ("10次以上", "≥", 10, "次"),
    ("5天以内", "≤", 5, "天"),
    ("大于5", ">", 5, None),
    ("小于3个工作日", "<", 3, "个工作日"),
    # plain quantities
    ("100%", "=", 100, "%"),
    ("24小时", "=", 24, "小时"),
    ("10人", "=", 10, "人"),
    ("4.83万元", "=", 4.83, "万元"),
    ("200万元", "=", 200, "万元"),
    ("1", "=", 1, None),
    ("1,200人次", "=", 1200, "人次"),
    ("12个月", "=", 12, "个月"),
    ("9 8 %", "=", 98, "%"),
    # qualitative, dates and periods: all null
    ("当年完成", None, None, None),
    ("提高", None, None, None),
    ("有效提升", None, None, None),
    ("及时", None, None, None),
    ("每年12月底前", None, None, None),
    ("2023.07-2024.01", None, None, None),
    ("2024年12月31日前", None, None, None),
    ("90%-95%", None, None, None),
    ("", None, None, None),
    (None, None, None, None),
]


@pytest.mark.parametrize("text,op,value,unit", CASES)
def test_parse_value(text, op, value, unit):
    assert tuple(parse_value(text)) == (op, value, unit)


def test_whole_numbers_are_ints():
    assert isinstance(parse_value("10.0人").value, int)
    assert isinstance(parse_value("4.83万元").value, float)


@pytest.mark.parametrize("text,default,expected", [
    ("4.83万", "万元", 4.83),
    ("：200万", "万元", 200),
    ("48300元", "万元", 4.83),
    ("1.2亿元", "万元", 12000),
    ("35", "万元", 35),
    ("35000", "元", 3.5),
    ("1,000,000元", "万元", 100),
    ("", "万元", None),
    ("其他资金", "万元", None),
])
def test_parse_amount(text, default, expected):
    assert parse_amount(text, default) == expected
