"""What the dossiers app tells higher apps about dossiers it writes (they connect; it never imports them).

Two extension points, both filled by higher apps when they are ready (indices.apps):

`prepare_hooks` run *before* the write, with the batch alone: where the batch is validated (a file
import's worker processes, each HTTP worker), outside the writers' lock. A hook's `load()` reads what
it needs from the database once per delivery (with `dossiers.services.load_lookups`); its
`prepare(items, context, vendor)` is pure and gets, for every document the batch would store,
(code, document, fingerprint); what it returns travels with the batch (it must pickle, cheaply) and
comes back to the receivers of `dossiers_stored` as `prepared[name]`. It is computed as if every
document of the batch were written as is: the receiver corrects it for those that were not (older
than or equal to the stored version: in the payload, not in `codes`), for those that status events
moved on (`moved`), and for the dossiers that were stored before (what they counted for).

`dossiers_stored` is sent inside the writing transaction, after each written batch, so a receiver's
writes commit (or roll back) with the dossiers themselves. Arguments:

- `codes`: the MaHoSo of every dossier written;
- `documents`: the same dossiers as the ingestion already holds them, in the same order: a
  `core.dossier.Scan` (fast path; from the file import's worker processes without its `steps`, which
  are in the step table) or a `core.dossier.Dossier` moved on by its status events; None when the
  writer has no parsed form at hand (the receiver then re-reads the rows);
- `sources`: MaHoSo → (version, content_hash, status, status_at) of the stored row, None with `documents`;
- `prepared`: hook name → what its `prepare` returned for this batch (absent or None when no hook ran);
- `moved`: with `prepared`, the codes among `codes` whose document is not the one the hooks saw
  (status events applied under the lock).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

dossiers_stored = Signal()

PrepareItem = tuple[str, Any, tuple[Any, ...]]  # code, parsed document, (version, hash, status, status_at)


@dataclass(frozen=True)
class PrepareHook:
    """Work a higher app does on a batch before the write lock (see the module docstring)."""

    name: str
    load: Callable[[], Any]
    prepare: Callable[[Sequence[PrepareItem], Any, str], Any]


prepare_hooks: dict[str, PrepareHook] = {}


def register_prepare_hook(hook: PrepareHook) -> None:
    """Add (or replace, by name) a hook; called from a higher app's AppConfig.ready."""
    prepare_hooks[hook.name] = hook


def unregister_prepare_hook(name: str) -> None:
    """Remove a hook (tests and benchmarks that measure without it)."""
    prepare_hooks.pop(name, None)
