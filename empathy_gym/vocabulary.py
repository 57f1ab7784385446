"""The fixed vocabularies of the domain: strategies, hidden intentions, characteristics, styles.

These names are part of the public contract (action indices, profile fields, info keys), so they
live in code and never change order. Everything written *about* them (descriptions, templates,
phrase banks) lives in the package's data files.
"""

from __future__ import annotations

#: Supportive moves an agent can make, in action-index order for the strategy environments.
STRATEGIES: tuple[str, ...] = (
    "open_question",
    "paraphrase",
    "reflect_feelings",
    "validate_blamelessness",
    "specific_praise",
    "generic_reassurance",
    "suggestion",
    "analysis",
    "others_perspective",
    "self_disclosure",
    "invite_reflection",
    "minimal_listening",
    "minimise",
    "change_subject",
    "blame",
)
STRATEGY_INDEX: dict[str, int] = {name: i for i, name in enumerate(STRATEGIES)}

#: Moves that hurt whatever the person needs.
HARMFUL_STRATEGIES: frozenset[str] = frozenset({"minimise", "change_subject", "blame"})

#: What a simulated person really needs (after RLVER's eight kinds).
INTENTIONS: tuple[str, ...] = (
    "not_at_fault",
    "self_reflection",
    "problem_analysis",
    "deep_empathy",
    "venting",
    "others_motives",
    "practical_advice",
    "recognition",
)

#: A person's main characteristic, which shifts how they react (after RLVER's profiles).
CHARACTERISTICS: tuple[str, ...] = ("negative", "passive", "avoidant")

#: How a persona talks; the utterance generator styles every line with it.
SPEAKING_STYLES: tuple[str, ...] = ("plain", "hesitant", "terse", "rambling", "formal", "casual")

#: Emotion states on the SAGE scale, best first.
EMOTION_STATES: tuple[str, ...] = ("S", "A", "B", "C", "F")

#: How the user's visible reaction to one reply is classified (drives the reaction sentence).
REACTIONS: tuple[str, ...] = (
    "very_positive",
    "positive",
    "neutral",
    "negative",
    "very_negative",
    "confused",
)

#: Why the emotion moved in one turn; each code has inner-thought sentences in the phrase bank.
REASONS: tuple[str, ...] = (
    "served_need",  # the reply did what the person really needs
    "kind_but_generic",  # kind, earned partial credit from a lenient user
    "not_what_i_need",  # kind but untargeted; a strict user gives it no credit
    "aversive",  # a move that works against this person's need
    "harmful",  # minimising, changing the subject, blaming
    "too_soon",  # advice, analysis or challenge before trust was built
    "repetitive",  # the agent is repeating itself
    "parroted",  # the agent pasted the person's own words back
    "garbled",  # unreadable text
    "hostile",  # rude or aggressive text
    "manipulative",  # text that tries to instruct the simulator or fake system messages
    "too_long",  # an overwhelming wall of text
    "keyword_salad",  # empathy words stuffed together without meaning
    "empty",  # nothing said
    "irrelevant",  # ignores what the person talked about
    "misread",  # the person misread the reply against a need they do not have (fidelity)
)
