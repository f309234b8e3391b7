from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "openiop.patients"
    label = "patients"
