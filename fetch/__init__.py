"""Fetch what publishers put out: listing pages → document links → PDFs stored by content.

`sources` reads the declarative sources file, `sniff` tells what bytes are, `http` is the
polite client (per-host rate limit, timeouts, bounded retries), `manifest` keeps the record of
every download (and the provenance the documents table joins by SHA-256), `crawl` walks the
sources. `pipeline/nightly.py` runs fetch → run → report.
"""
