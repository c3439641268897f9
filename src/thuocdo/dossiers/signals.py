"""What the dossiers app tells higher apps after it writes dossiers (they connect; it never imports them).

`dossiers_stored` is sent inside the writing transaction, after each written batch, so a receiver's
writes commit (or roll back) with the dossiers themselves. Arguments:

- `codes`: the MaHoSo of every dossier written;
- `documents`: the same dossiers as the ingestion already holds them, in the same order: a
  `core.dossier.Scan` (fast path; from the file import's worker processes without its `steps`, which
  are in the step table) or a `core.dossier.Dossier` moved on by its status events; None when the
  writer has no parsed form at hand (the receiver then re-reads the rows);
- `sources`: MaHoSo → (version, content_hash, status, status_at) of the stored row, None with `documents`.
"""

from __future__ import annotations

from django.dispatch import Signal

dossiers_stored = Signal()
