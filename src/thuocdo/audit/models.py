"""Append-only, hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting any
entry breaks the chain from that point on; `thuocdo audit verify` walks it. Database triggers
refuse UPDATE and DELETE on this table (see the migration), so even the ORM cannot rewrite history.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    # No foreign key: deleting a user must not rewrite (or be blocked by) history.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("mục nhật ký")
        verbose_name_plural = _("nhật ký thay đổi")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
