from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "openiop.organizations"
    label = "organizations"
