from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "openiop.messaging"
    label = "messaging"
    verbose_name = "Messages to people outside the application"
