from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "openiop.measures"
    label = "measures"
    verbose_name = "Measurement-based care"
