"""What running OpenIOP needs to know about itself: which workers are alive."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per worker process (`openiop worker`), touched every few seconds
    while it runs; `/readyz` reads the freshest."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.host}"
