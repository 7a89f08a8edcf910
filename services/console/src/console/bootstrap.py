"""The console's composition root: settings in, the app out."""

from __future__ import annotations

from fastapi import FastAPI

from console.config import ConsoleSettings
from console.entrypoints.http import create_app
from console.service_layer.ports import SuiteApi


def build_app(settings: ConsoleSettings | None = None, api: SuiteApi | None = None) -> FastAPI:
    return create_app(settings or ConsoleSettings(), api)
