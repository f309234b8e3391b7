"""Uploaded Bundles kept between the preview and the import (ADR 0017).

The file is compressed and sealed with AES-256-GCM under a key derived from
SECRET_KEY (HKDF-SHA256, its own label), bound to the row: its uuid, its
organization and its uploader are the associated data, so a sealed Bundle
copied to another row does not open. Rows expire after an hour and are
removed when imported, when refused, when they are found expired and by the
sweep every upload runs. Only the uploader, for the organization they
uploaded for, can open one: any other reference is not found (404).
"""

import datetime as dt
import os
import zlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.http import Http404
from django.utils import timezone

from openiop.core.errors import ApplicationError
from openiop.interop.services.importer import MAX_BYTES
from openiop.interop.upload_models import ImportUpload

KEEP = dt.timedelta(hours=1)
FORMAT = b"\x01"
EXPIRED = "The preview has expired (an upload is kept for an hour): upload the file again."


def _keys() -> list[bytes]:
    """The current key first, then those of SECRET_KEY_FALLBACKS (rotation)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"openiop fhir import upload"
        ).derive(s.encode())
        for s in secrets
    ]


def _aad(upload: ImportUpload) -> bytes:
    return f"{upload.uuid}|{upload.organization_id}|{upload.created_by_id}".encode()


def _seal(upload: ImportUpload, raw: bytes) -> bytes:
    nonce = os.urandom(12)
    return FORMAT + nonce + AESGCM(_keys()[0]).encrypt(nonce, zlib.compress(raw, 6), _aad(upload))


def _open(upload: ImportUpload) -> bytes:
    sealed = bytes(upload.sealed)
    if sealed[:1] != FORMAT:
        raise ApplicationError.for_field("bundle", EXPIRED)
    nonce, body = sealed[1:13], sealed[13:]
    for key in _keys():
        try:
            packed = AESGCM(key).decrypt(nonce, body, _aad(upload))
        except InvalidTag:
            continue
        inflate = zlib.decompressobj()
        return inflate.decompress(packed, MAX_BYTES + 1)
    raise ApplicationError.for_field("bundle", EXPIRED)  # SECRET_KEY changed since


def uploads_sweep(now=None) -> int:
    """Delete every expired upload; how many."""
    deleted, _ = ImportUpload.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def upload_store(*, actor, organization, raw: bytes) -> ImportUpload:
    uploads_sweep()
    upload = ImportUpload(
        organization=organization,
        created_by=actor,
        size=len(raw),
        expires_at=timezone.now() + KEEP,
    )
    upload.sealed = _seal(upload, raw)
    upload.save()
    return upload


def upload_get(*, actor, organization, uuid) -> ImportUpload:
    """The actor's own upload for this organization; 404 for any other."""
    upload = ImportUpload.objects.filter(
        uuid=uuid, created_by=actor, organization=organization
    ).first()
    if upload is None:
        raise Http404("No such upload.")
    if upload.expires_at <= timezone.now():
        upload.delete()
        raise ApplicationError.for_field("bundle", EXPIRED)
    return upload


def upload_bytes(upload: ImportUpload) -> bytes:
    return _open(upload)


def upload_discard(upload: ImportUpload | None) -> None:
    if upload is not None and upload.pk:
        ImportUpload.objects.filter(pk=upload.pk).delete()


def upload_preview(*, actor, organization, upload: ImportUpload, data=None, date_of_birth=None):
    """The plan for an upload (ImportRefused if it cannot be imported); `data`
    is the Bundle when it was just read. A matching patient shown on the
    preview is a read of their record: audited."""
    from openiop.audit.services import audit_read
    from openiop.interop.services.importer import import_plan, parse_bundle

    data = data if data is not None else parse_bundle(upload_bytes(upload))
    plan = import_plan(
        organization=organization, data=data, actor=actor, date_of_birth=date_of_birth
    )
    if plan.match is not None and not plan.match_hidden:
        audit_read(
            actor=actor,
            event="fhir.import.match",
            obj=plan.match,
            patient=plan.match,
            detail={"upload": str(upload.uuid)},
        )
    return plan
