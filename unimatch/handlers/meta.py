"""The API's own description."""

import pathlib

from unimatch import errors
from unimatch.handlers.base import BaseHandler

OPENAPI_PATH = pathlib.Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


class SchemaHandler(BaseHandler):
    def get(self) -> None:
        try:
            document = OPENAPI_PATH.read_bytes()
        except FileNotFoundError:
            raise errors.NotFound() from None
        self.set_header("Content-Type", "application/yaml; charset=utf-8")
        self.finish(document)
