from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "openiop.directory"
    label = "directory"
    verbose_name = "Program finder"
