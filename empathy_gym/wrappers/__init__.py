"""Wrappers (layer 4): featurisers that turn dialogue observations into vectors, dialogue memory, curricula."""

from empathy_gym.wrappers.curriculum import (
    AdaptiveSchedule,
    Curriculum,
    EpisodeOutcome,
    FixedSchedule,
    LearningProgressBandit,
    LinearRamp,
    Scheduler,
    make_scheduler,
)

from empathy_gym.wrappers.features import (
    DialogueHistory,
    HashedTextFeatures,
    ReplayFeaturiser,
    ScaleToUnit,
    SentenceEmbeddingFeatures,
    load_sentence_model,
)

__all__ = ["AdaptiveSchedule", "Curriculum", "EpisodeOutcome", "FixedSchedule", "LearningProgressBandit",
           "LinearRamp", "Scheduler", "make_scheduler", "DialogueHistory", "HashedTextFeatures", "ReplayFeaturiser", "ScaleToUnit", "SentenceEmbeddingFeatures",
           "load_sentence_model"]
