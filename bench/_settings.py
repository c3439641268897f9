"""Project settings, with a URL configuration that mounts the dossier API whether or not the project does yet."""

from thuocdo.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench._urls"
