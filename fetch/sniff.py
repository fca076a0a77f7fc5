"""What a response's bytes are, whatever its name or Content-Type says.

Scrapers save error pages as `.pdf`: of 40 files one scraper saved, 8 were HTML error pages
and 5 were empty. So a body is a PDF only when its bytes say so (`%PDF-` within the first
1 KB, where the PDF specification lets readers look for it); anything else is named — HTML,
Word, Excel, OFD, an archive, empty — for the manifest's reason, and a ZIP archive is opened
for the PDFs inside it.
"""

from __future__ import annotations

import codecs
import io
import zipfile
import zlib
from dataclasses import dataclass

import regex
from selectolax.lexbor import LexborHTMLParser

PDF_MAGIC = b"%PDF-"
HEAD = 1024  # bytes in which a PDF's header may stand (junk before it is allowed)

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old Office container (.doc, .xls, .wps, .et)
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_HTML_START = regex.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!doctype\s+html|<html|<head|<body|<meta|<title|<script|<!--"
    rb"|<\?xml[^>]*>\s*<(?:!doctype\s+)?html)",
    regex.IGNORECASE,
)
_META_CHARSET = regex.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", regex.IGNORECASE)
_HEADER_CHARSET = regex.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", regex.IGNORECASE)
# Office Open XML and OFD (GB/T 33190, China's fixed-layout format) are ZIPs: their first
# members tell them apart from an archive of attachments.
_ZIP_FORMATS = (
    ("word/", "Word document (.docx)"),
    ("xl/", "Excel workbook (.xlsx)"),
    ("ppt/", "PowerPoint presentation (.pptx)"),
    ("OFD.xml", "OFD document (China's fixed-layout format)"),
)
_SIGNATURES = (
    (b"Rar!\x1a\x07", "RAR archive (cannot be opened here)"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive (cannot be opened here)"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"{\\rtf", "RTF document"),
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a body is: kind `pdf`, `zip` (an archive to open), or `other` with the reason it
    is not a PDF (`HTML page «404 Not Found», not a PDF (sent as application/pdf)`)."""

    kind: str
    reason: str | None = None


def is_pdf(head: bytes) -> bool:
    """Whether `%PDF-` stands within the first HEAD bytes (sniff also rules out containers)."""
    return head[:HEAD].find(PDF_MAGIC) >= 0


def sniff(data: bytes, content_type: str | None = None) -> Verdict:
    """The verdict on a whole body; content_type (the header as sent) only colours the
    reason, it never decides."""
    sent = f" (sent as {content_type})" if content_type else ""
    if not data.strip():
        return Verdict("other", f"empty response ({len(data)} bytes){sent}")
    # A container's signature at byte 0 wins over a `%PDF-` further on: a ZIP that stores a
    # PDF uncompressed shows the PDF's header within its first kilobyte.
    if data.startswith(ZIP_SIGNATURES):
        return _sniff_zip(data, sent)
    if data.startswith(_OLE):
        return Verdict("other", f"{_ole_kind(data)}, not a PDF{sent}")
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            return Verdict("other", f"{what}, not a PDF{sent}")
    if is_pdf(data):  # junk before the header (a server's warning text) is allowed
        return Verdict("pdf")
    if _HTML_START.match(data[:HEAD]) or b"<html" in data[:HEAD].lower():
        title = page_title(data, content_type)
        shown = f" «{title}»" if title else ""
        return Verdict("other", f"HTML page{shown}, not a PDF{sent}")
    first = data[:8].hex(" ")
    return Verdict("other", f"not a PDF: no %PDF- header in the first 1 KB (starts {first}){sent}")


def _ole_kind(data: bytes) -> str:
    """Word or Excel in the old container, by the stream names its directory holds (UTF-16)."""
    if "WordDocument".encode("utf-16-le") in data:
        return "Word document (.doc/.wps)"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "Excel workbook (.xls/.et)"
    return "Office document in the old format (.doc/.xls)"


def _sniff_zip(data: bytes, sent: str) -> Verdict:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        return Verdict("other", f"broken ZIP archive ({exc}), not a PDF{sent}")
    for prefix, what in _ZIP_FORMATS:
        if any(n.startswith(prefix) for n in names):
            return Verdict("other", f"{what}, not a PDF{sent}")
    return Verdict("zip")


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as written: archives made on Chinese Windows store GBK names without
    the UTF-8 flag, which zipfile decodes as cp437 (`¢╕▒╕…`); those are decoded as GB18030."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def archive_pdfs(data: bytes, max_bytes: int) -> tuple[list[tuple[str, bytes]], str]:
    """The PDFs inside a ZIP archive as (member name, bytes), and one line saying what the
    archive held (`ZIP archive: 2 PDF(s) of 3 files taken; not taken: 说明.docx (Word
    document (.docx), not a PDF)`). Members larger than max_bytes, encrypted or broken are
    not taken and say so; archives inside the archive are not opened."""
    pdfs: list[tuple[str, bytes]] = []
    skipped: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = [i for i in archive.infolist() if not i.is_dir()]
        for info in files:
            name = member_name(info)
            if info.file_size > max_bytes:
                skipped.append(f"{name} (over {max_bytes} bytes)")
                continue
            try:
                body = archive.read(info)
            except (
                RuntimeError,
                zipfile.BadZipFile,
                NotImplementedError,
                OSError,
                EOFError,
                zlib.error,
            ) as exc:  # encrypted, an unknown method, corrupt data
                skipped.append(f"{name} (cannot be read: {exc})")
                continue
            verdict = sniff(body)
            if verdict.kind == "pdf":
                pdfs.append((name, body))
            else:
                skipped.append(f"{name} ({verdict.reason or 'an archive inside the archive'})")
    summary = f"ZIP archive: {len(pdfs)} PDF(s) of {len(files)} files taken"
    if skipped:
        summary += "; not taken: " + ", ".join(skipped[:5]) + (" …" if len(skipped) > 5 else "")
    return pdfs, summary


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """An HTML body as text: the charset of the Content-Type header, else of a `<meta>` in the
    first 4 KB, else UTF-8, else GB18030 (what GB2312/GBK pages decode as); bytes that do not
    decode are replaced, never raised."""
    declared = [m.group(1) for m in [_HEADER_CHARSET.search(content_type or "")] if m]
    declared += [m.group(1).decode("ascii") for m in [_META_CHARSET.search(data[:4096])] if m]
    for name in declared:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        if codec in ("gb2312", "gbk"):  # pages declaring these use GB18030's superset freely
            codec = "gb18030"
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def page_title(data: bytes, content_type: str | None = None) -> str | None:
    """An HTML page's <title>, whitespace squeezed, at most 60 characters."""
    node = LexborHTMLParser(decode_html(data, content_type)).css_first("title")
    title = " ".join(node.text().split()) if node is not None else ""
    return title[:60] or None
