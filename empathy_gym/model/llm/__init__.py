"""The LLM-backed simulated user and the language-model backends it (and the LLM agent) runs on."""

from empathy_gym.model.llm.backends import (
    Backend,
    BackendError,
    CallableBackend,
    OpenAIBackend,
    TransformersBackend,
    backend_from_spec,
    generate_batch,
)
from empathy_gym.model.llm.user import GenerationRequest, LLMUser, run_turns

__all__ = ["Backend", "BackendError", "CallableBackend", "GenerationRequest", "LLMUser", "OpenAIBackend",
           "TransformersBackend", "backend_from_spec", "generate_batch", "run_turns"]
