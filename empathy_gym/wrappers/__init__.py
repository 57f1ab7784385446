"""Wrappers (layer 4): featurisers that turn dialogue observations into vectors, and dialogue memory."""

from empathy_gym.wrappers.features import (
    DialogueHistory,
    HashedTextFeatures,
    ReplayFeaturiser,
    ScaleToUnit,
    SentenceEmbeddingFeatures,
    load_sentence_model,
)

__all__ = ["DialogueHistory", "HashedTextFeatures", "ReplayFeaturiser", "ScaleToUnit", "SentenceEmbeddingFeatures",
           "load_sentence_model"]
