#!/usr/bin/env python
"""Write data/raw/sample_final_account.pdf: a small, fictitious 2024 部门决算 with ruled tables.

    python tools/make_sample.py [OUT]

示例市应急管理局 does not exist; every figure is made up. The PDF has a cover page and four
ruled tables laid out like the 财政部 public templates (merged header cells drawn as spans,
a 栏次 row, 公开NN表 label and 单位：万元 under each title):

    公开01表 收入支出决算总表            two-sided 收入 | 支出, 项目/行次/决算数
    公开02表 收入决算表                  by functional code, 合计 row first
    公开03表 支出决算表                  by functional code, 合计 row first
    公开09表 财政拨款"三公"经费支出决算表   预算数 | 决算数 groups

All totals are computed from their parts below, so the arithmetic is consistent, except ONE
deliberate rounding gap (see DELIBERATE GAP): in the 三公 table the printed 决算数
公务用车购置及运行维护费 小计 is 14.35 while its only part, 公务用车运行维护费, is 14.34 — the
kind of 0.01 尾数误差 real documents print. The 决算数 合计 adds the printed 小计 (14.35), so it
is the only inconsistent sum.

Requires reportlab (the built-in CID font STSong-Light, so no font file is needed). Output is
byte-reproducible: reportlab's invariant mode fixes the dates and the document id.
"""

from __future__ import annotations

import sys
from decimal import Decimal as D
from pathlib import Path

from reportlab import rl_config

rl_config.invariant = 1  # before anything draws: fixed CreationDate/ModDate and /ID

from reportlab.lib import colors  # noqa: E402
from reportlab.lib.enums import TA_CENTER  # noqa: E402
from reportlab.lib.pagesizes import A4, landscape  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "raw" / "sample_final_account.pdf"
FONT = "STSong-Light"
UNIT_NAME = "示例市应急管理局"
YEAR = 2024

pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, alignment=TA_CENTER)
COVER = ParagraphStyle("cover", fontName=FONT, fontSize=24, leading=34, alignment=TA_CENTER)
COVER_SUB = ParagraphStyle("cover_sub", fontName=FONT, fontSize=14, leading=22, alignment=TA_CENTER)


def amt(v: D | None) -> str:
    """万元 with thousands separators and two decimals; None prints a blank cell."""
    return "" if v is None else f"{v:,.2f}"


def total(*parts: D | None) -> D | None:
    present = [p for p in parts if p is not None]
    return sum(present, D("0")) if present else None


# ---------------------------------------------------------------- the figures (万元)

# Leaf rows (项) of 收入决算表: 财政拨款, 上级补助, 事业, 经营, 附属单位上缴, 其他 收入
INCOME_LEAVES = {
    "2080505": [D("85.60"), None, None, None, None, None],
    "2240401": [D("1234.56"), None, None, None, None, D("12.30")],
    "2240402": [D("356.78"), D("50.00"), None, None, None, None],
}
# Leaf rows (项) of 支出决算表: 基本, 项目, 上缴上级, 经营, 对附属单位补助 支出
EXPENDITURE_LEAVES = {
    "2080505": [D("85.60"), None, None, None, None],
    "2240401": [D("1180.45"), None, None, None, None],
    "2240402": [None, D("420.33"), None, None, None],
}
NAMES = {
    "208": "社会保障和就业支出",
    "20805": "行政事业单位养老支出",
    "2080505": "机关事业单位基本养老保险缴费支出",
    "224": "灾害防治及应急管理支出",
    "22404": "矿山安全",
    "2240401": "行政运行",
    "2240402": "一般行政管理事务",
}
ORDER = ["208", "20805", "2080505", "224", "22404", "2240401", "2240402"]
OPENING_BALANCE = D("20.00")  # 年初结转和结余


def rolled_up(leaves: dict[str, list[D | None]]) -> dict[str, list[D | None]]:
    """类 and 款 rows as the column sums of the 项 rows below them, plus the 合计 row."""
    width = len(next(iter(leaves.values())))
    rows: dict[str, list[D | None]] = {}
    for code in ORDER:
        under = [v for c, v in leaves.items() if c.startswith(code)]
        rows[code] = [total(*(u[i] for u in under)) for i in range(width)]
    rows["合计"] = [total(*(leaves[c][i] for c in leaves)) for i in range(width)]
    return rows


INCOME = rolled_up(INCOME_LEAVES)
EXPENDITURE = rolled_up(EXPENDITURE_LEAVES)


# ---------------------------------------------------------------- table drawing


def ruled(data, widths, spans=(), header_rows=0, font_size=9, align_from=None):
    """A fully ruled table; spans are ((c0, r0), (c1, r1)) merged cells, drawn without the
    inner rules (reportlab's GRID honours SPAN)."""
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, font_size),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, header_rows - 1), "CENTER"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    head = ParagraphStyle(
        f"head{font_size}",
        fontName=FONT,
        fontSize=font_size,
        leading=font_size + 3,
        alignment=TA_CENTER,
        wordWrap="CJK",
    )
    # Header text wraps inside its cell, as printed tables do (a plain string would run over
    # the rules into the next cell).
    data = [
        [Paragraph(c, head) if r < header_rows and c else c for c in row]
        for r, row in enumerate(data)
    ]
    if align_from is not None:
        style.append(("ALIGN", (align_from, header_rows), (-1, -1), "RIGHT"))
    for a, b in spans:
        style.append(("SPAN", a, b))
    t = Table(data, colWidths=widths, repeatRows=0)
    t.setStyle(TableStyle(style))
    return t


def heading(story, title: str, label: str, width: float):
    """Title, then the 公开NN表 label and 单位 on one line, then the 部门 line — as printed
    under the titles of the published templates."""
    story.append(Paragraph(title, TITLE))
    story.append(Spacer(1, 4 * mm))
    meta = Table(
        [[label, "单位：万元"], [f"部门：{UNIT_NAME}", ""]],
        colWidths=[width / 2, width / 2],
    )
    meta.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 10),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(meta)
    story.append(Spacer(1, 2 * mm))


def summary_table(width: float) -> Table:
    """公开01表 收入支出决算总表: 收入 left, 支出 right, each 项目 | 行次 | 决算数."""
    fiscal, upper, _, _, _, other = INCOME["合计"]
    income_total = total(*INCOME["合计"])
    spend_total = total(*EXPENDITURE["合计"])
    grand = income_total + OPENING_BALANCE
    closing = grand - spend_total  # 年末结转和结余
    left = [
        ("一、一般公共预算财政拨款收入", fiscal),
        ("二、政府性基金预算财政拨款收入", None),
        ("三、国有资本经营预算财政拨款收入", None),
        ("四、上级补助收入", upper),
        ("五、事业收入", None),
        ("六、经营收入", None),
        ("七、附属单位上缴收入", None),
        ("八、其他收入", other),
        ("本年收入合计", income_total),
        ("使用非财政拨款结余", None),
        ("年初结转和结余", OPENING_BALANCE),
        ("总计", grand),
    ]
    right = [
        ("一、社会保障和就业支出", total(*EXPENDITURE["208"])),
        ("二、灾害防治及应急管理支出", total(*EXPENDITURE["224"])),
        None,
        None,
        None,
        None,
        None,
        None,
        ("本年支出合计", spend_total),
        ("结余分配", None),
        ("年末结转和结余", closing),
        ("总计", grand),
    ]
    data = [
        ["收入", "", "", "支出", "", ""],
        ["项目", "行次", "决算数", "项目", "行次", "决算数"],
        ["栏次", "", "1", "栏次", "", "2"],
    ]
    n = len(left)
    for i, (lrow, rrow) in enumerate(zip(left, right, strict=True)):
        row = [lrow[0], str(i + 1), amt(lrow[1])]
        row += [rrow[0], str(n + i + 1), amt(rrow[1])] if rrow else ["", "", ""]
        data.append(row)
    w = width
    widths = [w * 0.30, w * 0.06, w * 0.14, w * 0.30, w * 0.06, w * 0.14]
    t = ruled(data, widths, spans=[((0, 0), (2, 0)), ((3, 0), (5, 0))], header_rows=3)
    t.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 3), (2, -1), "RIGHT"),
                ("ALIGN", (4, 3), (5, -1), "RIGHT"),
                ("ALIGN", (1, 3), (1, -1), "CENTER"),
                ("ALIGN", (4, 3), (4, -1), "CENTER"),
            ]
        )
    )
    return t


def by_code_table(width: float, columns: list[str], rows: dict[str, list[D | None]]) -> Table:
    """公开02/03表: 项目 (科目代码 | 科目名称) then amount columns; 合计 row first."""
    n = len(columns)
    data = [
        ["项目", ""] + columns,
        ["科目代码", "科目名称"] + [""] * n,
        ["栏次", ""] + [str(i + 1) for i in range(n)],
        ["合计", ""] + [amt(v) for v in rows["合计"]],
    ]
    for code in ORDER:
        data.append([code, NAMES[code]] + [amt(v) for v in rows[code]])
    spans = [((0, 0), (1, 0)), ((0, 2), (1, 2)), ((0, 3), (1, 3))]
    spans += [((c, 0), (c, 1)) for c in range(2, n + 2)]  # each amount header spans 2 rows
    code_w, name_w = width * 0.10, width * 0.24
    amount_w = (width - code_w - name_w) / n
    t = ruled(
        data,
        [code_w, name_w] + [amount_w] * n,
        spans=spans,
        header_rows=3,
        align_from=2,
        font_size=9,
    )
    t.setStyle(TableStyle([("ALIGN", (0, 3), (0, 3), "CENTER")]))
    return t


def three_public_table(width: float) -> Table:
    """公开09表: 预算数 and 决算数, each 合计 | 因公出国(境)费 | 公务用车购置及运行维护费
    (小计 | 公务用车购置费 | 公务用车运行维护费) | 公务接待费, over a 栏次 row."""

    def group(travel, purchase, operation, reception, vehicles=None):
        vehicles = total(purchase, operation) if vehicles is None else vehicles
        return [
            total(travel, vehicles, reception),
            travel,
            vehicles,
            purchase,
            operation,
            reception,
        ]

    budget = group(D("5.00"), None, D("15.00"), D("5.00"))
    # DELIBERATE GAP: 决算数 公务用车购置及运行维护费 小计 printed 14.35, its part
    # 公务用车运行维护费 14.34 (购置费 blank) — a 0.01 rounding gap. 合计 uses the printed 14.35.
    final = group(D("3.20"), None, D("14.34"), D("3.92"), vehicles=D("14.35"))
    sub = ["合计", "因公出国(境)费", "公务用车购置及运行维护费", "", "", "公务接待费"]
    data = [
        ["预算数"] + [""] * 5 + ["决算数"] + [""] * 5,
        sub + sub,
        ["", "", "小计", "公务用车购置费", "公务用车运行维护费", ""] * 2,
        [str(i + 1) for i in range(12)],  # 栏次
        [amt(v) for v in budget + final],
    ]
    spans = [((0, 0), (5, 0)), ((6, 0), (11, 0))]
    for base in (0, 6):
        spans += [
            ((base, 1), (base, 2)),  # 合计
            ((base + 1, 1), (base + 1, 2)),  # 因公出国(境)费
            ((base + 2, 1), (base + 4, 1)),  # 公务用车购置及运行维护费 over its three parts
            ((base + 5, 1), (base + 5, 2)),  # 公务接待费
        ]
    t = ruled(data, [width / 12] * 12, spans=spans, header_rows=4, font_size=8, align_from=0)
    return t


def build(out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    page = landscape(A4)
    margin = 15 * mm
    width = page[0] - 2 * margin
    doc = SimpleDocTemplate(
        str(out),
        pagesize=page,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        invariant=1,
        title=f"{UNIT_NAME}{YEAR}年度部门决算",
        author=UNIT_NAME,
        subject="示例数据（虚构）",
        creator="budgetpdf tools/make_sample.py",
    )
    story = [
        Spacer(1, 50 * mm),
        Paragraph(f"{UNIT_NAME}{YEAR}年度部门决算", COVER),
        Spacer(1, 10 * mm),
        Paragraph("（示例数据，单位与数字均为虚构）", COVER_SUB),
        PageBreak(),
    ]
    heading(story, "收入支出决算总表", "公开01表", width)
    story += [summary_table(width), PageBreak()]
    heading(story, "收入决算表", "公开02表", width)
    story += [
        by_code_table(
            width,
            [
                "本年收入合计",
                "财政拨款收入",
                "上级补助收入",
                "事业收入",
                "经营收入",
                "附属单位上缴收入",
                "其他收入",
            ],
            {k: [total(*v)] + v for k, v in INCOME.items()},
        ),
        PageBreak(),
    ]
    heading(story, "支出决算表", "公开03表", width)
    story += [
        by_code_table(
            width,
            [
                "本年支出合计",
                "基本支出",
                "项目支出",
                "上缴上级支出",
                "经营支出",
                "对附属单位补助支出",
            ],
            {k: [total(*v)] + v for k, v in EXPENDITURE.items()},
        ),
        PageBreak(),
    ]
    heading(story, '财政拨款"三公"经费支出决算表', "公开09表", width)
    story.append(three_public_table(width))
    doc.build(story)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    build(out)
    print(out)


if __name__ == "__main__":
    main()
