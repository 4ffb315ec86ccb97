"""A local GGUF model through llama-cpp-python, as a LangChain chat model.

Its own module so that `visapath.llm` (the backend registry) imports no LangChain class until
a backend is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel


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
