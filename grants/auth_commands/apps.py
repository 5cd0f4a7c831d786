from django.apps import AppConfig


class AuthCommandsConfig(AppConfig):
    name = "grants.auth_commands"
    label = "grants_auth_commands"
