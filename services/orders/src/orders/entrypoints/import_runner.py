"""The import runner: servicekit's background loop over queued CSV imports, each run here as
the person who started it (`servicekit.import_jobs` claims, reports progress, takes over a
job whose worker died, records the outcome)."""

from __future__ import annotations

from orders.adapters.tables import import_jobs
from orders.domain.ownership import EVERYONE, Viewer, Visibility
from orders.entrypoints.importing import IMPORTERS, import_table
from orders.service_layer.ownership import looking_as
from servicekit.auth import acting_as
from servicekit.csvfiles import ImportReport
from servicekit.import_jobs import ImportJob, ImportJobRunner, Progress


class ImportRunner(ImportJobRunner):
    def __init__(
        self, *, max_rows: int, poll_interval: float = 2.0, catalogue_required: bool = True
    ) -> None:
        super().__init__(
            "orders-import-runner", import_jobs, self._imported, poll_interval=poll_interval
        )
        self.max_rows = max_rows
        self.catalogue_required = catalogue_required

    async def _imported(self, job: ImportJob, progress: Progress) -> ImportReport:
        """The import's report; its writes committed only in a real run without errors."""
        table = IMPORTERS[job.kind].read(job.content.encode(), self.max_rows)
        # As the person who started it: they own what it creates and it sees what they see.
        with acting_as(job.created_by), looking_as(_starter(job)):
            return await import_table(
                self.sessionmaker,
                job.kind,
                table,
                dry_run=job.dry_run,
                progress=progress,
                catalogue_required=self.catalogue_required,
            )


def _starter(job: ImportJob) -> Viewer:
    if job.created_by is None or job.visibility is None:  # queued before jobs said who
        return EVERYONE
    return Viewer(job.created_by, job.created_by_team, Visibility(job.visibility))
