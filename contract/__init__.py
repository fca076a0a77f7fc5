"""The output contract: the rows every stage produces and their Arrow schemas (OUTPUT.md)."""
