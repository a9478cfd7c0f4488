"""The tickets app's task, run by `policydesk worker` (django_tasks database backend)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from policydesk.tickets.bulk import run_bulk
from policydesk.tickets.models import BulkJob


@task()
def run_bulk_job(job_id: int) -> dict[str, int]:
    """Run a large bulk change (`tickets.bulk`), resuming where an earlier run stopped."""
    job = BulkJob.objects.select_related("actor").filter(pk=job_id).first()
    if job is None:
        return {"done": 0, "failed": 0}
    job = run_bulk(job, timezone.now())
    return {"done": job.done, "failed": len(job.failed)}
