"""Chat-model backends chosen by configuration, registered in one place, all LangChain chat models.

Everything downstream (generation, follow-up rewriting) talks to a `BaseChatModel`, so an
OpenAI-compatible server, Ollama, a local GGUF file and LangChain's fake chat models in tests
are interchangeable. `none` means no model at all: the grounded answerer answers.

A backend is one `@backend(...)` function below; the OpenAI-compatible and Ollama ones go
through LangChain's `init_chat_model`. No backend ever falls back to a public host: `openai`
needs `VISAPATH_LLM_BASE_URL` (api.openai.com too must be named explicitly).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from visapath.config import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


class LLMConfigError(ValueError):
    """The backend settings cannot work (missing model file or URL, extra not installed); says what to set."""


@dataclass(frozen=True)
class Backend:
    """One registered backend: how to build it and what to show when none is given."""

    name: str
    build: Callable[[Settings], "BaseChatModel"]
    default_model: str | None = None
    default_url: str | None = None
    local_file: bool = False  # the model is VISAPATH_LLM_MODEL_PATH, not a served name


BACKENDS: dict[str, Backend] = {}


def backend(name: str, *, default_model: str | None = None, default_url: str | None = None,
            local_file: bool = False) -> Callable[[Callable[[Settings], "BaseChatModel"]], Callable]:
    """Register a chat-model factory under `name` (the value of VISAPATH_LLM_BACKEND)."""

    def register(build: Callable[[Settings], "BaseChatModel"]) -> Callable[[Settings], "BaseChatModel"]:
        BACKENDS[name] = Backend(name, build, default_model, default_url, local_file)
        return build

    return register


@dataclass(frozen=True)
class BackendInfo:
    """What `visapath info` and the UI show about the active backend."""

    backend: str  # none | a registered name
    model: str | None = None
    endpoint: str | None = None

    @property
    def generative(self) -> bool:
        return self.backend != "none"

    def describe(self) -> str:
        if not self.generative:
            return "grounded (no LLM: answers quote the sources)"
        where = f" at {self.endpoint}" if self.endpoint else ""
        return f"{self.backend}: {self.model or 'default model'}{where}"


def _registered(settings: Settings) -> Backend:
    found = BACKENDS.get(settings.llm_backend)
    if found is None:
        names = ", ".join(["none", *BACKENDS])
        raise LLMConfigError(f"Unknown LLM backend '{settings.llm_backend}'. Use one of: {names}.")
    return found


def backend_info(settings: Settings) -> BackendInfo:
    if settings.llm_backend == "none":
        return BackendInfo("none")
    spec = _registered(settings)
    if spec.local_file:
        path = settings.llm_model_path
        return BackendInfo(spec.name, model=path.name if path else None, endpoint=str(path) if path else None)
    return BackendInfo(spec.name, model=settings.llm_model or spec.default_model,
                       endpoint=settings.llm_base_url or spec.default_url)


def build_chat_model(settings: Settings) -> "BaseChatModel | None":
    """The configured chat model, or None for the grounded-only `none` backend.

    Construction never contacts the endpoint; an unreachable server shows up at the first call,
    where the generative answerer falls back to the grounded answer with a notice.
    """
    if settings.llm_backend == "none":
        return None
    return _registered(settings).build(settings)


def _init(provider: str, settings: Settings, **kwargs: Any) -> "BaseChatModel":
    from langchain.chat_models import init_chat_model

    spec = BACKENDS[settings.llm_backend]
    try:
        return init_chat_model(settings.llm_model or spec.default_model, model_provider=provider,
                               temperature=0, **kwargs)
    except ImportError as exc:
        raise LLMConfigError(f"The {spec.name} backend needs its LangChain integration: {exc}") from exc


# -- the backends ---------------------------------------------------------------------------------
@backend("openai", default_model="gpt-4o-mini")
def _openai(settings: Settings) -> "BaseChatModel":
    """Any OpenAI-compatible server: Ollama's /v1, vLLM, llama.cpp server, LM Studio, or OpenAI itself."""
    if not settings.llm_base_url:
        raise LLMConfigError(
            "The openai backend needs VISAPATH_LLM_BASE_URL (for example http://127.0.0.1:8080/v1 for a "
            "local server); visapath never sends questions to a public host unless you name it."
        )
    return _init(
        "openai", settings,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key or "not-needed",  # local servers ignore it but the client requires one
        timeout=settings.llm_timeout,
        max_retries=0,  # a dead endpoint must fail fast so the grounded fallback shows quickly
    )


@backend("ollama", default_model="llama3.2", default_url="http://localhost:11434")
def _ollama(settings: Settings) -> "BaseChatModel":
    return _init(
        "ollama", settings,
        base_url=settings.llm_base_url or BACKENDS["ollama"].default_url,
        num_thread=settings.llm_threads,
        client_kwargs={"timeout": settings.llm_timeout},
    )


@backend("llamacpp", local_file=True)
def _llamacpp(settings: Settings) -> "BaseChatModel":
    path = settings.llm_model_path
    if path is None or not path.expanduser().is_file():
        raise LLMConfigError(
            "The llamacpp backend needs VISAPATH_LLM_MODEL_PATH set to a local .gguf file"
            + (f" ({path} does not exist)." if path else ".")
        )
    try:
        import llama_cpp  # noqa: F401  (optional extra, imported only when chosen)
    except ImportError as exc:
        raise LLMConfigError(
            "The llamacpp backend needs llama-cpp-python: pip install '.[llamacpp]' "
            "(CMAKE_ARGS=\"-DGGML_NATIVE=OFF\"; the build takes several minutes)."
        ) from exc
    from visapath.llamacpp import LlamaCppChat

    return LlamaCppChat(model_path=str(path.expanduser()), n_threads=settings.llm_threads)


def model_name(model: BaseChatModel | None) -> str | None:
    """A best-effort model identifier for the exchange log."""
    if model is None:
        return None
    for attr in ("model_name", "model", "model_path"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__
