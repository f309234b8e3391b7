from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "openiop.operations"
    label = "operations"
    verbose_name = "Operations"
