"""The OpenAPI contract: typed models in /openapi.json, and a bounded schemathesis run against a live
server that must find no 5xx and no response that contradicts the schema."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import SAMPLES, build_test_assistant

from assistant.api import build_api
from assistant.settings import Settings

TOKEN = "schema-test-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    from index.embeddings import HashEmbedder

    a = build_test_assistant(tmp_path_factory.mktemp("schema") / "store", HashEmbedder())
    a.ingestor.ingest_paths([SAMPLES])
    a.retriever.invalidate()
    app = build_api(a, Settings(_env_file=None, api_token=TOKEN, max_file_bytes=50_000))  # type: ignore[call-arg]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert srv.started, "test server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def _ref(schema: dict[str, Any]) -> str:
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1]


def test_openapi_has_typed_models(server):
    assert httpx.get(f"{server}/openapi.json").status_code == 401  # the schema is behind the token too
    spec = httpx.get(f"{server}/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    paths = spec["paths"]
    ok = {
        ("/api/ask", "post"): "Answer",
        ("/api/documents", "post"): "IngestSummary",
        ("/api/documents", "get"): "DocumentPage",
        ("/api/documents/{doc_id}", "get"): "DocumentDetail",
        ("/api/documents/{doc_id}", "delete"): "Deleted",
        ("/v1/chat/completions", "post"): "ChatCompletion",
        ("/v1/models", "get"): "ModelList",
        ("/healthz", "get"): "Health",
        ("/readyz", "get"): "Readiness",
    }
    for (path, method), model in ok.items():
        content = paths[path][method]["responses"]["200"]["content"]
        assert _ref(content["application/json"]["schema"]) == model, (path, method)
    assert _ref(paths["/api/ask"]["post"]["responses"]["401"]["content"]["application/json"]["schema"]) == "ErrorResponse"
    assert "text/event-stream" in paths["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    upload = paths["/api/documents"]["post"]["requestBody"]["content"]
    assert set(upload) == {"multipart/form-data", "application/json"}
    comps = spec["components"]["schemas"]
    assert {"Citation", "Passage", "Filters", "AskRequest", "RecordsIn", "ErrorResponse"} <= set(comps)
    assert comps["Answer"]["properties"]["citations"]["items"]["$ref"].endswith("/Citation")
    assert not any(p.startswith(("/api/{", "/v1/{")) for p in paths)  # catch-all routes stay out


def test_schemathesis_finds_no_server_errors(server, tmp_path):
    exe = Path(sys.executable).with_name("schemathesis")
    report = tmp_path / "junit.xml"
    cmd = [str(exe), "run", f"{server}/openapi.json",
           "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
           "-H", f"Authorization: Bearer {TOKEN}",
           "--max-examples", "30", "--workers", "1", "--seed", "7",
           "--phases", "examples,coverage,fuzzing", "--request-timeout", "60",
           "--suppress-health-check", "all", "--no-color",
           "--report", "junit", "--report-junit-path", str(report)]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=400, env=env, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert "Server error" not in out
    assert report.is_file()
