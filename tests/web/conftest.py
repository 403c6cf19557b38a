from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from secondline.web import create_app


@pytest.fixture(scope="session")
def client() -> TestClient:
    return TestClient(create_app())
