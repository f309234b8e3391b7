from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "openiop.interop"
    label = "interop"
    verbose_name = "FHIR exchange"

    def ready(self):
        from django.apps import apps

        if apps.is_installed("openiop.measures"):
            from openiop.interop import measures_bridge

            measures_bridge.register()
        if apps.is_installed("openiop.scheduling"):
            from openiop.interop import scheduling_bridge

            scheduling_bridge.register()
