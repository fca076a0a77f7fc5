"""Which grids form one table across pages, on hand-built pages (normalize/stitch.py)."""

from __future__ import annotations

from budgetpdf.normalize.stitch import DocumentReader
from grids import ABOVE, LEFT, grid, line, page

HEAD = [
    ["功能分类科目编码", "科目名称", "本年支出", LEFT, LEFT],
    [ABOVE, ABOVE, "小计", "基本支出", "项目支出"],
]
BODY = [["2240401", "行政运行", "100.00", "60.00", "40.00"]] * 3


def _titled(number: int, title: str, rows: list[list[str]], *foot: str):
    """A page with a title, its label and unit lines, a grid under them and `foot` lines
    under the grid."""
    g = grid(rows, page=number, top=120)
    lines = [line(title, 60, left=150), line("单位：万元", 90, left=400)]
    lines += [line(text, g.ys[-1] + 20 + 20 * i) for i, text in enumerate(foot)]
    return page(number, lines, [g])


def _bare(number: int, rows: list[list[str]], top: float = 60, *above: str):
    g = grid(rows, page=number, top=top)
    return page(number, [line(t, 20 + 15 * i) for i, t in enumerate(above)], [g])


def _stitched(knowledge, *pages) -> list[tuple[str, list[int]]]:
    """(table_id, pages of its grids) of every table found, in order."""
    reader = DocumentReader(knowledge)
    for p in pages:
        reader.read(p)
    return [(s.spec.id, [f.page for f in s.fragments]) for s in reader.segments]


def test_a_grid_at_the_top_of_the_next_page_continues_the_table(knowledge):
    pages = _titled(1, "一般公共预算支出表", HEAD + BODY), _bare(2, BODY)
    assert _stitched(knowledge, *pages) == [("budget_gpb_expenditure", [1, 2])]


def test_a_continuation_that_repeats_its_header_continues_the_table(knowledge):
    pages = _titled(1, "一般公共预算支出表", HEAD + BODY), _bare(2, HEAD + BODY)
    assert _stitched(knowledge, *pages) == [("budget_gpb_expenditure", [1, 2])]


def test_a_repeated_title_continues_the_table(knowledge):
    title = "一般公共预算支出表"
    pages = _titled(1, title, HEAD + BODY), _titled(2, title, HEAD + BODY)
    assert _stitched(knowledge, *pages) == [("budget_gpb_expenditure", [1, 2])]


def test_a_new_title_starts_a_new_table(knowledge):
    pages = (
        _titled(1, "一般公共预算支出表", HEAD + BODY),
        _titled(2, "政府性基金预算支出表", HEAD + BODY),
    )
    assert _stitched(knowledge, *pages) == [
        ("budget_gpb_expenditure", [1]),
        ("budget_gov_fund", [2]),
    ]


def test_a_blank_page_ends_the_table(knowledge):
    blank = page(2, [], [])
    pages = _titled(1, "一般公共预算支出表", HEAD + BODY), blank, _bare(3, BODY)
    assert [t for t, _ in _stitched(knowledge, *pages) if t != "other"] == [
        "budget_gpb_expenditure"
    ]
    assert _stitched(knowledge, *pages)[0] == ("budget_gpb_expenditure", [1])


def test_a_grid_of_another_shape_with_its_own_header_is_not_a_continuation(knowledge):
    other = [["项目", "金额"], ["合计", "5.00"], ["其他", "5.00"]]
    pages = _titled(1, "一般公共预算支出表", HEAD + BODY, "注：本表无其他内容。"), _bare(2, other)
    stitched = _stitched(knowledge, *pages)
    assert stitched[0] == ("budget_gpb_expenditure", [1])
    assert all(t != "budget_gpb_expenditure" for t, _ in stitched[1:])


def test_a_title_at_the_foot_of_a_page_takes_the_table_on_the_next(knowledge):
    # The title and the table's header rows (with their 栏次 row) end page 1; the table,
    # its header repeated, is on page 2: one table, read from page 2.
    layout = [["栏次", "", "1", "2", "3"]]
    pages = _titled(1, "一般公共预算支出表", HEAD + layout), _bare(2, HEAD + layout + BODY)
    ((table_id, on),) = _stitched(knowledge, *pages)
    assert table_id == "budget_gpb_expenditure" and on[-1] == 2
