from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self):
        from kb import signals  # noqa: F401  (connects kb's handlers to studies' signals)
