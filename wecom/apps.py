from django.apps import AppConfig


class WeComConfig(AppConfig):
    name = "wecom"
    verbose_name = "WeCom"
