from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "openiop.interop"
    label = "interop"
    verbose_name = "FHIR exchange"
