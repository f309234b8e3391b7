from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "openiop.access"
    label = "access"
