"""Chat-model backends chosen by configuration, all behind LangChain's `BaseChatModel`.

Everything downstream (generation, follow-up rewriting) talks to a `BaseChatModel`, so an
OpenAI-compatible server, Ollama, a local GGUF file and LangChain's fake chat models in tests
are interchangeable. `none` means no model at all: the grounded answerer answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel

from visapath.config import Settings

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "ollama": "llama3.2"}
DEFAULT_URLS = {"ollama": "http://localhost:11434"}


class LLMConfigError(ValueError):
    """The backend settings cannot work (missing model file, extra not installed); says what to set."""


@dataclass(frozen=True)
class BackendInfo:
    """What `visapath info` and the UI show about the active backend."""

    backend: str  # none | openai | ollama | llamacpp
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


def backend_info(settings: Settings) -> BackendInfo:
    backend = settings.llm_backend
    if backend == "none":
        return BackendInfo("none")
    if backend == "llamacpp":
        path = settings.llm_model_path
        return BackendInfo("llamacpp", model=path.name if path else None, endpoint=str(path) if path else None)
    model = settings.llm_model or DEFAULT_MODELS[backend]
    endpoint = settings.llm_base_url or DEFAULT_URLS.get(backend)
    return BackendInfo(backend, model=model, endpoint=endpoint)


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or None for the grounded-only `none` backend.

    Construction never contacts the endpoint; an unreachable server shows up at the first call,
    where the generative answerer falls back to the grounded answer with a notice.
    """
    backend = settings.llm_backend
    if backend == "none":
        return None
    if backend == "openai":
        return _openai(settings)
    if backend == "ollama":
        return _ollama(settings)
    if backend == "llamacpp":
        return _llamacpp(settings)
    raise LLMConfigError(f"Unknown LLM backend '{backend}'. Use none, openai, ollama or llamacpp.")


def _openai(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,  # None means api.openai.com
        api_key=settings.llm_api_key or "not-needed",  # local servers ignore it but the client requires one
        model=settings.llm_model or DEFAULT_MODELS["openai"],
        timeout=settings.llm_timeout,
        max_retries=0,  # a dead endpoint must fail fast so the grounded fallback shows quickly
        temperature=0,
    )


def _ollama(settings: Settings) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    return ChatOllama(
        base_url=settings.llm_base_url or DEFAULT_URLS["ollama"],
        model=settings.llm_model or DEFAULT_MODELS["ollama"],
        temperature=0,
        num_thread=settings.llm_threads,
        client_kwargs={"timeout": settings.llm_timeout},
    )


def _llamacpp(settings: Settings) -> BaseChatModel:
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
    return LlamaCppChat(model_path=str(path.expanduser()), n_threads=settings.llm_threads)


class LlamaCppChat(BaseChatModel):
    """A local GGUF model through llama-cpp-python's chat API (loaded on first use).

    A thin adapter instead of langchain-community's ChatLlamaCpp, which would pull in that
    whole package for one class. `n_threads` is passed explicitly: llama.cpp's own default
    oversubscribes small machines.
    """

    model_path: str
    n_threads: int = 2
    n_ctx: int = 4096
    max_tokens: int = 512
    temperature: float = 0.0
    _llama: Any = None

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def _client(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(model_path=self.model_path, n_threads=self.n_threads, n_ctx=self.n_ctx, verbose=False)
        return self._llama

    def _request(self, messages: list) -> dict[str, Any]:
        return {
            "messages": [{"role": _role(m), "content": str(m.content)} for m in messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }

    def _generate(self, messages: list, stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any):
        from langchain_core.messages import AIMessage
        from langchain_core.outputs import ChatGeneration, ChatResult

        out = self._client().create_chat_completion(**self._request(messages), stop=stop)
        text = out["choices"][0]["message"].get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list, stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[Any]:
        from langchain_core.messages import AIMessageChunk
        from langchain_core.outputs import ChatGenerationChunk

        for part in self._client().create_chat_completion(**self._request(messages), stop=stop, stream=True):
            delta = part["choices"][0].get("delta", {}).get("content")
            if delta:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk


def _role(message: Any) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


def model_name(model: BaseChatModel | None) -> str | None:
    """A best-effort model identifier for the exchange log."""
    if model is None:
        return None
    for attr in ("model_name", "model", "model_path"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__
