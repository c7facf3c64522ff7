from django.apps import AppConfig


class HomologationConfig(AppConfig):
    name = "homologation"
    verbose_name = "Homologation rehearsal (BCB's exam, DICT_RULES §11)"
