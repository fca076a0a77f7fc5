"""What a figure counts when it is not the table's money (schemas/headers.toml [quantities]).

A 绩效目标表 prints indicator values and scores beside its money: `视频监控运维覆盖率（%） |
100 | 6` under `三级指标 | 指标值 | 分值权重（90分）`, or `预计使用年限 | ≥ | 40 | 年` under
`本年绩效指标值 | 绩效度量单位`. Read with the table's 万元, a satisfaction rate of 100 became
1,000,000 yuan. Each figure keeps the unit it is printed with; only money has `amount_yuan`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import regex
from budgetpdf.contract.text import squash
from budgetpdf.schemas.knowledge import Quantities

PERCENT = "%"
_BRACKETED = regex.compile(r"[(（][^()（）]*[)）]")
_FORMULA = regex.compile(r"[=＝].*$")  # 支出实现率(%)⑤=④/③: the column's formula after its name
# a unit in brackets closing a text: 视频监控运维覆盖率（%）, 资金金额（万元）, 执行率(B/A) is none
_CLOSING_UNIT = regex.compile(r"[(（]([^()（）]{1,8})[)）]$")
_RATIO = regex.compile(r"[/·]")


def is_rate(path: Sequence[str]) -> bool:
    """A header that says its figures are percentages: `(%)` anywhere, or a name ending in
    率 once its brackets, formula and number are dropped (`支出实现率(%)⑤=④/③`,
    `执行率(B/A)`, `资金结余率(%)⑦=⑥/③`)."""
    for text in path:
        if "%" in text:
            return True
        name = _FORMULA.sub("", _BRACKETED.sub("", text)).rstrip("0123456789")
        if name.endswith("率"):
            return True
    return False


def unit_of(text: str, q: Quantities) -> str | None:
    """The unit a text is or ends with in brackets, if it is a known unit or a ratio of
    known units: `万元`, `（万元）`, `元/天`, `系统平台运维和建设项目数量(项)` → 项;
    `因公出国(境)` → None. q: the known units (`Knowledge.quantities`)."""
    s = squash(text)
    if _is_unit(s, q):
        return s
    m = _CLOSING_UNIT.search(s)
    return m.group(1) if m and _is_unit(m.group(1), q) else None


def _is_unit(text: str, q: Quantities) -> bool:
    # 元/天, 元/人·年 (聘用注册会计师单位成本 ≤ 800 元/天): every part a known unit, or a
    # known unit after its scale (万人)
    known = q.units

    def unit(part: str) -> bool:
        m = q.magnitude.match(part)
        return part in known or (m is not None and part[m.end() :] in known)

    return bool(text) and all(unit(p) for p in _RATIO.split(text))


def heading_unit(path: Sequence[str], q: Quantities) -> str | None:
    """The unit an amount column's heading gives its figures, whatever the table's unit:
    % for a rate (`增减率`, `执行率(B/A)`), 分 for scores (`分值权重（90分）`, `得分`), else a
    known unit closing a heading (`预算金额（万元）`); None when the heading names none.
    q: the score and unit patterns (`Knowledge.quantities`)."""
    if is_rate(path):
        return PERCENT
    if any(q.score.search(squash(t)) for t in path):
        return q.score_unit
    for text in reversed(path):
        if unit := unit_of(text, q):
            return unit
    return None


def is_indicator(path: Sequence[str], q: Quantities) -> bool:
    """A heading over indicator values (`本年绩效指标值`, `指标值`, `实际完成值`): figures in
    their own row's unit, never money by default."""
    return any(q.indicator.search(squash(t)) for t in path)


def is_direction(text: str, q: Quantities) -> bool:
    """A cell that only points a target's direction (`≥`, `不低于`, `定性`): it names no
    figure (`控烟公益广告宣传成本 | ≤ | 450 | 万元`)."""
    return q.direction.fullmatch(squash(text)) is not None


def is_unit_column(heading: str, q: Quantities) -> bool:
    """A heading over each row's unit (`绩效度量单位`, `计量单位`)."""
    return bool(q.unit_column.search(squash(heading)))


def row_unit(texts: Iterable[str], q: Quantities) -> str | None:
    """The first known unit among a row's texts, each the unit itself (a unit column's
    `万元`) or a name ending in one (`视频监控运维覆盖率（%）`, the row heading `资金金额
    （万元）`); texts nearest the figure first."""
    for text in texts:
        if text and (unit := unit_of(text, q)):
            return unit
    return None
