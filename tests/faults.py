"""A seeded generator of broken PDFs, for the fault-injection test (tests/test_faults.py) and
anyone who wants to see what a run does with them.

`make_cases(folder, sources, n, seed)` writes n files into folder, each named
`NNN_<kind>.pdf`, made from the source PDFs (the bundled sample, corpus PDFs): every
structural kind once (page-tree loops, a decompression bomb, 10,000 pages, encryption with
and without a password, HTML and ZIP named .pdf, empty files, a huge MediaBox, deep nesting,
self-references), the sources themselves as good files (the first under two names), one
broken file under two names, then random mutations of random sources (truncations, flipped
bytes, broken xref offsets and tables, corrupted streams and /Length values) until n. The
same seed and sources give the same bytes.

    python tests/faults.py OUT_FOLDER N [SEED] [SOURCE.pdf ...]
"""

from __future__ import annotations

import io
import random
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BOMB_GIB = 1  # the bomb's content stream inflates to this many GiB from ~1 MB


@dataclass(frozen=True, slots=True)
class Case:
    """One generated file: its path, its kind, and the source it was made from. A good
    case is a source as it is: a run must read it exactly as a clean run does."""

    path: Path
    kind: str
    source: Path
    good: bool = False


# ---------------------------------------------------------------- a raw PDF writer


def raw_pdf(objects: dict[int, bytes], root: int = 1) -> bytes:
    """A PDF of the given objects (number → body, without `obj`/`endobj`) with a correct
    xref table, so that what is broken is only what the bodies say."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (
            b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
        )
    out += b"trailer\n<</Size %d/Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<</Length %d%s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_FONT = b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"
_TEXT = b"BT /F1 12 Tf 72 720 Td (page) Tj ET"


def _page(parent: int, contents: int, box: bytes = b"[0 0 595 842]") -> bytes:
    return (
        b"<</Type/Page/Parent %d 0 R/MediaBox%s/Contents %d 0 R/Resources<</Font<</F1 3 0 R>>>>>>"
        % (parent, box, contents)
    )


def many_pages(count: int = 3_000) -> bytes:
    """count pages sharing one small content stream (about 100 bytes a page)."""
    objects = {1: b"<</Type/Catalog/Pages 2 0 R>>", 3: _FONT, 4: _stream(_TEXT)}
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(count))
    objects[2] = b"<</Type/Pages/Kids[%s]/Count %d>>" % (kids, count)
    for i in range(count):
        objects[5 + i] = _page(2, 4)
    return raw_pdf(objects)


def page_tree_loop(variant: int) -> bytes:
    """A page tree that contains itself: directly (/Kids of 2 lists 2), through a child
    (2 → 5 → 2), or with a /Count that lies about it."""
    objects = {1: b"<</Type/Catalog/Pages 2 0 R>>", 3: _FONT, 4: _stream(_TEXT)}
    if variant == 0:
        objects[2] = b"<</Type/Pages/Kids[6 0 R 2 0 R]/Count 2>>"
    elif variant == 1:
        objects[2] = b"<</Type/Pages/Kids[5 0 R]/Count 1>>"
        objects[5] = b"<</Type/Pages/Parent 2 0 R/Kids[2 0 R 6 0 R]/Count 1>>"
    else:
        objects[2] = b"<</Type/Pages/Kids[6 0 R 6 0 R 2 0 R]/Count 999999999>>"
    objects[6] = _page(2, 4)
    return raw_pdf(objects)


def self_reference() -> bytes:
    """Objects that are references to themselves or each other (/Pages 2 0 R where 2 is
    `7 0 R` and 7 is `2 0 R`), and a page whose /Contents is itself."""
    objects = {
        1: b"<</Type/Catalog/Pages 2 0 R>>",
        2: b"7 0 R",
        7: b"2 0 R",
        3: _FONT,
        5: b"<</Type/Page/Contents 5 0 R/Parent 2 0 R>>",
    }
    return raw_pdf(objects)


def root_loop() -> bytes:
    """A trailer whose /Root is a loop of bare references (1 is `8 0 R`, 8 is `1 0 R`):
    pdfminer meets it while still building its document."""
    return raw_pdf({1: b"8 0 R", 8: b"1 0 R", 2: b"<</Type/Pages/Kids[]/Count 0>>"})


def deep_nesting(depth: int = 200_000) -> bytes:
    """A page whose content stream and resources nest arrays and dictionaries depth deep."""
    objects = {
        1: b"<</Type/Catalog/Pages 2 0 R>>",
        2: b"<</Type/Pages/Kids[5 0 R]/Count 1>>",
        3: _FONT,
        4: _stream(b"[" * depth + b"]" * depth + b" " + _TEXT),
        5: _page(2, 4).replace(
            b"/Resources", b"/Junk" + b"<</A" * 5000 + b">>" * 5000 + b"/Resources"
        ),
    }
    return raw_pdf(objects)


def bomb_stream(gib: int) -> bytes:
    """A zlib stream of about gib MiB that inflates to gib GiB of zero bytes: one deflate
    block of 1 MiB of zeros, full-flushed (so it repeats byte for byte), repeated, with the
    checksum of the whole (the Adler-32 of n zeros is (n mod 65521) << 16 | 1)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(bytes(1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
    total = gib << 30
    return (
        b"\x78\xda"
        + block * (gib << 10)
        + deflate.flush(zlib.Z_FINISH)
        + struct.pack(">I", ((total % 65521) << 16) | 1)
    )


def decompression_bomb(gib: int = BOMB_GIB) -> bytes:
    """A one-page PDF whose content stream inflates to gib GiB."""
    objects = {
        1: b"<</Type/Catalog/Pages 2 0 R>>",
        2: b"<</Type/Pages/Kids[5 0 R]/Count 1>>",
        3: _FONT,
        4: _stream(bomb_stream(gib), b"/Filter/FlateDecode"),
        5: _page(2, 4),
    }
    return raw_pdf(objects)


def huge_mediabox(source: bytes) -> bytes:
    """source with every MediaBox ±1e9 points (pdfium once aborted on this at the memory cap)."""
    return re.sub(rb"/MediaBox\s*\[[^\]]*\]", b"/MediaBox[-1e9 -1e9 1e9 1e9]", source)


def encrypted(source: bytes, password: str) -> bytes:
    """source encrypted (AES-128) with user password `password`; "" opens without one."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(source)))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def html_named_pdf() -> bytes:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>404</title></head>"
        "<body><h1>页面不存在</h1><p>The document has moved.</p></body></html>\n"
    ).encode()


def zip_named_pdf(source: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("附件1.pdf", source)
    return buf.getvalue()


# ---------------------------------------------------------------- random mutations


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, len(data))]


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 40)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def xref_offset(rng: random.Random, data: bytes) -> bytes:
    """startxref pointing anywhere (or far past the end)."""
    where = rng.choice([0, rng.randrange(len(data)), len(data) * 10, 2**40])
    return re.sub(rb"startxref\s+\d+", b"startxref\n%d" % where, data)


def xref_garbage(rng: random.Random, data: bytes) -> bytes:
    """The cross-reference section (table or stream) overwritten with random bytes."""
    at = data.rfind(b"startxref")
    m = re.search(rb"startxref\s+(\d+)", data[at:]) if at >= 0 else None
    start = int(m.group(1)) if m else max(0, len(data) - 200)
    end = at if at > start else min(len(data), start + 400)
    start = min(start, max(0, end - 1))
    junk = bytes(rng.randrange(256) for _ in range(max(1, end - start)))
    return data[:start] + junk + data[end:]


def xref_removed(rng: random.Random, data: bytes) -> bytes:
    """No cross-reference section and no trailer at all: a reader must rebuild them."""
    at = data.rfind(b"xref")
    return (data[:at] if at > 0 else data) + b"%%EOF\n"


def _streams(data: bytes) -> list[tuple[int, int]]:
    return [
        (m.end(), e)
        for m in re.finditer(rb"stream\r?\n", data)
        if (e := data.find(b"endstream", m.end())) > m.end()
    ]


def stream_corrupt(rng: random.Random, data: bytes) -> bytes:
    """One stream's bytes partly replaced by random ones, zeroed or cut short."""
    spans = _streams(data)
    if not spans:
        return flip_bytes(rng, data)
    start, end = rng.choice(spans)
    a = rng.randrange(start, end)
    b = rng.randrange(a, end) + 1
    how = rng.randrange(3)
    if how == 0:
        middle = bytes(rng.randrange(256) for _ in range(b - a))
    elif how == 1:
        middle = bytes(b - a)
    else:
        middle = b""
    return data[:a] + middle + data[b:]


def length_wrong(rng: random.Random, data: bytes) -> bytes:
    """Every /Length of a stream replaced by a wrong one (0, negative, huge, off by some)."""
    return re.sub(
        rb"/Length (\d+)(?! 0 R)",
        lambda m: (
            b"/Length %d" % rng.choice([0, -1, 2**31, int(m.group(1)) + rng.randint(-50, 50)])
        ),
        data,
    )


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "truncated": truncate,
    "flipped": flip_bytes,
    "xref_offset": xref_offset,
    "xref_garbage": xref_garbage,
    "xref_removed": xref_removed,
    "stream_corrupt": stream_corrupt,
    "length_wrong": length_wrong,
}


# ---------------------------------------------------------------- the set


def make_cases(folder: Path, sources: list[Path], n: int, seed: int = 0) -> list[Case]:
    """At least the fixed kinds, then random mutations up to n cases, written to folder.
    sources[0] is the one the fixed kinds are made from (the bundled sample)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    first = sources[0]
    base = first.read_bytes()
    cases: list[Case] = []

    def add(kind: str, data: bytes, source: Path = first, good: bool = False) -> Path:
        path = folder / f"{len(cases):03d}_{kind}.pdf"
        path.write_bytes(data)
        cases.append(Case(path, kind, source, good))
        return path

    for source in sources:
        add("good", source.read_bytes(), source, good=True)
    add("good_second_name", base, first, good=True)  # the same file under two names
    broken = add("truncated_twice", base[: len(base) // 2])
    add("truncated_twice_second_name", broken.read_bytes())
    add("empty", b"")
    add("empty_second", b"")
    add("html", html_named_pdf())
    add("zip", zip_named_pdf(base))
    add("header_only", b"%PDF-1.7\n" + rng.randbytes(2000))
    add("encrypted_password", encrypted(base, "secret"))
    add("encrypted_no_password", encrypted(base, ""))
    for variant in range(3):
        add(f"page_tree_loop{variant}", page_tree_loop(variant))
    add("self_reference", self_reference())
    add("root_loop", root_loop())
    add("deep_nesting", deep_nesting())
    add("huge_mediabox", huge_mediabox(base))
    add("pages_3000", many_pages())
    add("bomb", decompression_bomb())
    kinds = sorted(MUTATIONS)
    data_of: dict[Path, bytes] = {}
    while len(cases) < n:
        kind = rng.choice(kinds)
        source = rng.choice(sources)
        data = data_of.setdefault(source, source.read_bytes())
        add(kind, MUTATIONS[kind](rng, data), source)
    return cases


if __name__ == "__main__":
    out, count = Path(sys.argv[1]), int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    given = [Path(p) for p in sys.argv[4:]] or [
        Path(__file__).resolve().parent.parent / "data" / "raw" / "sample_final_account.pdf"
    ]
    for case in make_cases(out, given, count, seed):
        print(f"{case.path.name}\t{case.kind}\t{case.source.name}")
