"""Stage 3: consistency checks over the facts of one document."""
