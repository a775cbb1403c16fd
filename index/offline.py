"""Make every library use what ships on disk: no model hub, no telemetry, no tiktoken download.

Called by the composition root (and test conftest) before heavy imports. Idempotent.
"""

from __future__ import annotations

import os
from pathlib import Path


def _llama_static() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or spec.origin is None:
        raise RuntimeError("llama-index-core is not installed: run `make setup`")
    return Path(spec.origin).parent / "_static"


def nltk_data_dir() -> str:
    return str(_llama_static() / "nltk_cache")


def enforce_offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    static = _llama_static()
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(static / "tiktoken_cache"))
    os.environ.setdefault("NLTK_DATA", nltk_data_dir())
