from django.apps import AppConfig


class WeComConfig(AppConfig):
    name = "wecom"
    verbose_name = "WeCom"

    def ready(self):
        # urllib3 logs every request URL at DEBUG, access_token and corpsecret included.
        from wecom import logging as wecom_logging

        wecom_logging.install()
