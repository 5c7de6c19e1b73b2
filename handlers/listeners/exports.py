"""`/numbers export` (and `/numbers costs ... csv`): the matching audit rows, spooled to a temporary file and uploaded to the asker's DM.

The rows stream from SQLite into an anonymous temporary file (owner-only, gone when closed) and from there
to Slack a chunk at a time, so memory stays flat whatever the size of the log. The export runs for the
person asking (`viewer`): everyone but auditors, approvers and admins gets only their own rows.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.services.audit_filters import AuditFilter, ExportFormat
from bot.services.costs import CostReport, write_csv
from bot.services.records import Actor
from handlers.render.costs import costs_comment, costs_filename
from handlers.render.history import export_comment, export_filename
from handlers.outbound.uploads import upload_written_to_dm

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(frozen=True)
class ExportResult:
    rows: int
    fmt: ExportFormat
    filename: str
    sees_all: bool
    file_id: str | None  # None when nothing matched and nothing was sent


def export_to_dm(
    services: Services, client: WebClient, actor: Actor, audit_filter: AuditFilter, fmt: ExportFormat, *, now: datetime
) -> ExportResult:
    sees_all = services.audit.may_see_all(actor)
    filename = export_filename(fmt, now)
    with tempfile.TemporaryFile() as spool:
        rows = services.audit_export.export(audit_filter, fmt, spool, viewer=actor)
        if rows == 0:
            return ExportResult(0, fmt, filename, sees_all, None)
        shared = upload_written_to_dm(
            client,
            actor.user_id,
            spool,
            filename=filename,
            title=f"Audit export ({rows:,} rows)",
            comment=export_comment(rows, fmt, audit_filter, sees_all=sees_all),
        )
    return ExportResult(rows, fmt, filename, sees_all, shared.file_id)


@dataclass(frozen=True)
class CostsSent:
    rows: int
    filename: str
    file_id: str


def costs_to_dm(client: WebClient, actor: Actor, report: CostReport) -> CostsSent:
    """`/numbers costs ... csv`: the report's table as a CSV file in the asker's DM."""
    filename = costs_filename(report.by, report.month)
    with tempfile.TemporaryFile() as spool:
        rows = write_csv(report, spool)
        shared = upload_written_to_dm(
            client,
            actor.user_id,
            spool,
            filename=filename,
            title=f"Number costs by {report.by} ({rows:,} rows)",
            comment=costs_comment(report),
        )
    return CostsSent(rows, filename, shared.file_id)
