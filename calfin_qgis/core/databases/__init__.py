"""The field's front databases in and out: CALFIN level-1 (lines and ``_closed_`` polygons),
TermPicks and AutoTerm layers read into our fronts' values wherever fronts are taken, and our
fronts written in those layouts (``export``). One reader, ``read.read_fronts_any``, for every
caller (evaluation, terminus change, screening, fine-tuning, the review dock)."""
