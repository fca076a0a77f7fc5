"""Text normalization shared by titles, headers and row labels."""

import unicodedata

import regex

_WHITESPACE = regex.compile(r"\s+")
# Leading ordinals: 一、 (一) (1) 1. 1、 ① — but never the integer part of a decimal.
_ORDINAL = regex.compile(
    r"^(?:[一二三四五六七八九十百]+[、.．]"
    r"|\([一二三四五六七八九十百\d]+\)[、.．]?"
    r"|\d{1,2}(?:[、．]|\.(?!\d))"
    r"|[①-⑳])"
)


def nfkc(text: str) -> str:
    """NFKC folds full-width forms and the Kangxi radicals (⽀ → 支) that broken fonts emit."""
    return unicodedata.normalize("NFKC", text)


def squash(text: str) -> str:
    """NFKC with all white space removed: the comparable form of any printed label."""
    return _WHITESPACE.sub("", nfkc(text))


def strip_ordinal(label: str) -> str:
    """The label without its leading ordinal (`一、`, `(一)`, `1.`, `①`); `1.5` is kept."""
    return _ORDINAL.sub("", label, count=1)


def item_name(raw: str) -> str:
    """The contract's item_name: NFKC, no white space, no leading ordinal."""
    return strip_ordinal(squash(raw))


def join_wrapped(text: str) -> str:
    """A cell's wrapped lines joined as printed (the contract's item_raw)."""
    return "".join(part.strip() for part in text.splitlines())
