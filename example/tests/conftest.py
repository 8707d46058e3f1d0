"""Records where each test ran, so a run can prove it was distributed."""
import json
import os

import pytest


@pytest.fixture(autouse=True)
def record_where(request):
    yield
    out = os.path.join(os.getcwd(), "ran")
    os.makedirs(out, exist_ok=True)
    name = request.node.nodeid.replace("/", "_").replace(":", "_")
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(
            {
                "nodeid": request.node.nodeid,
                "worker": os.environ.get("PYTEST_XDIST_WORKER", "local"),
                "cwd": os.getcwd(),
                "home": os.path.expanduser("~"),
            },
            f,
        )
