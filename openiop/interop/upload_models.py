"""A Bundle uploaded for an import preview, kept on the server (encrypted)
until it is imported, refused or an hour old: the preview is confirmed by
this row's uuid, never by sending the Bundle back through the browser."""

from django.db import models

from openiop.core.models import BaseModel


class ImportUpload(BaseModel):
    """Only its uploader, in the organization it was uploaded for, can use it
    (`created_by`, `organization`); `sealed` is the Bundle compressed and
    encrypted with a key derived from SECRET_KEY (`services/import_upload`)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    sealed = models.BinaryField()
    size = models.PositiveIntegerField()  # bytes of the uploaded file
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"FHIR import upload {self.created_at:%Y-%m-%d %H:%M}"
