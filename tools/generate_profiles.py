#!/usr/bin/env python3
"""Generate the frozen profile splits (train, test, ood) from the hand-written parts in profile_parts.json.

Every simulated person shipped in ``empathy_gym/data/profiles_{train,test,ood}.json`` is composed
here from the parts in ``tools/profile_parts.json`` (themes, topics, story beats, openings, names,
occupations, traits) and a fixed seed, so the splits can be audited and rebuilt byte for byte:

    python tools/generate_profiles.py            # rewrite the shipped files
    python tools/generate_profiles.py --out DIR  # write the three files into DIR instead
    python tools/generate_profiles.py --check    # exit 1 if the shipped files differ from a rebuild

How the splits are kept apart:

* train and test use the same ``train_themes``; ood uses only ``ood_themes``, never seen in training.
* For every train theme, a quarter of its (topic, opening) template pairs is reserved for test, so
  no test person shares a situation and first message with any train person.
* Names are drawn without replacement from first x family names: nobody appears twice in 700 people.
* Hidden intentions are balanced exactly (train 65 each, test 13/13/13/13/12/12/12/12, ood 10 each);
  main characteristics and speaking styles are spread as evenly as the split size allows.

The parts file is checked before anything is generated (counts, character set, slot names, topics
that read as neutral noun phrases, openings that never name the hidden need), and every record is
validated by :meth:`empathy_gym.profiles.Profile.from_dict` before it is written.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import string
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # so the script runs from a plain checkout, installed or not

from empathy_gym._text import CHARSET  # noqa: E402
from empathy_gym.profiles import Profile, ProfileError  # noqa: E402
from empathy_gym.vocabulary import CHARACTERISTICS, INTENTIONS, SPEAKING_STYLES  # noqa: E402

#: The one seed every shipped profile comes from. Changing it changes every split.
SEED = 20250703
PARTS_PATH = REPO / "tools" / "profile_parts.json"
DEFAULT_OUT = REPO / "empathy_gym" / "data"
GENERATED_BY = "tools/generate_profiles.py"
FORMAT = 1

SPLIT_SIZES = {"train": 520, "test": 100, "ood": 80}
ID_WIDTH = {"train": 4, "test": 3, "ood": 3}
#: Share of each train theme's (topic, opening) pairs that only test profiles may use.
TEST_PAIR_SHARE = 0.25
STORY_BEATS = (5, 7)  # inclusive range of beats per profile
FEELINGS_PER_PROFILE = (2, 3)  # inclusive
TRAITS_PER_PERSONA = 3

MINIMUM_COUNTS = {"first_names": 60, "family_names": 60, "occupations": 40, "traits": 40,
                  "train_themes": 20, "ood_themes": 6}
THEME_MINIMUMS = {"topics": 3, "others": 3, "feelings": 4, "backgrounds": 2, "story": 7,
                  "openings": 4, "goals": 2}

_PERSON_SLOTS = frozenset({"topic", "Topic", "other", "Other"})
ALLOWED_SLOTS = {
    "topics": frozenset({"other"}),
    "others": frozenset(),
    "feelings": frozenset(),
    "goals": frozenset(),
    "occupations": frozenset(),
    "story": _PERSON_SLOTS,
    "openings": _PERSON_SLOTS | {"feeling"},
    "backgrounds": _PERSON_SLOTS | {"name", "first_name", "age", "occupation", "a_occupation"},
}

#: Phrases that would state a hidden need outright; no opening, story beat or goal may contain one.
NEED_PHRASES = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    r"\bfault\b", r"\bblame", r"\badvi[cs]e", r"\bwhat (should|do|can) i do\b", r"\bpraise",
    r"\bvent(ing)?\b", r"\bproud of me\b", r"\bwhy (would|did|do)\b", r"\banaly[sz](e|is|ing)", r"\breflect",
    r"\blisten\b", r"\bmotive", r"\bhelp me\b", r"\bperspective", r"\bempath", r"\bunderstand why\b",
))
_POSSESSIVE_PRONOUN = re.compile(r"\b(my|your|his|her|their|our|its)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\bI\b|(?i:\b(me|my|mine|myself|we|us|our)\b)")
_THIRD_PERSON_SLIP = re.compile(r"\b(I|me|my)\b")
# The feeling slot always follows a verb of feeling, so any adjective the theme lists reads well.
_FEELING_SLOT = re.compile(r"\b(feel|feeling|felt)( so| this)? \{feeling\}")


class PartsError(ValueError):
    """The parts file breaks a rule the generator relies on."""


# ----------------------------------------------------------------------------------- parts checks

def _slots(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def check_parts(parts: dict[str, Any]) -> None:
    """Raise :class:`PartsError` listing every rule the parts file breaks."""
    problems: list[str] = []

    def check_text(where: str, text: Any, kind: str) -> None:
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: expected non-empty text, got {text!r}")
            return
        bad = sorted({ch for ch in text if ch not in CHARSET or ch == "\n"})
        if bad:
            problems.append(f"{where}: characters outside the printable one-line charset: {bad!r}")
        if text != text.strip() or "  " in text:
            problems.append(f"{where}: stray spaces in {text!r}")
        try:
            unknown = _slots(text) - ALLOWED_SLOTS[kind]
        except ValueError as exc:
            problems.append(f"{where}: malformed slot ({exc}) in {text!r}")
            return
        if unknown:
            problems.append(f"{where}: unknown slots {sorted(unknown)} (allowed: {sorted(ALLOWED_SLOTS[kind])})")

    for key, minimum in MINIMUM_COUNTS.items():
        values = parts.get(key, [])
        if len(values) < minimum:
            problems.append(f"{key}: {len(values)} entries, need at least {minimum}")
        if key not in ("train_themes", "ood_themes") and len(set(values)) != len(values):
            problems.append(f"{key}: duplicate entries")
    for key in ("first_names", "family_names", "occupations", "traits"):
        for i, value in enumerate(parts.get(key, [])):
            check_text(f"{key}[{i}]", value, "occupations")

    first_names = set(parts.get("first_names", []))
    theme_ids: list[str] = []
    for group in ("train_themes", "ood_themes"):
        for theme in parts.get(group, []):
            theme_id = theme.get("id", "?")
            theme_ids.append(theme_id)
            where = f"{group}/{theme_id}"
            if not re.fullmatch(r"[a-z][a-z0-9_]*", theme_id):
                problems.append(f"{where}: theme id must be snake_case")
            check_text(f"{where}.title", theme.get("title"), "goals")
            lo, hi = theme.get("ages", (0, 0))
            if not 12 <= lo <= hi <= 100:
                problems.append(f"{where}.ages: expected 12 <= low <= high <= 100, got {[lo, hi]}")
            for i, occupation in enumerate(theme.get("occupations", [])):
                check_text(f"{where}.occupations[{i}]", occupation, "occupations")
            for key, minimum in THEME_MINIMUMS.items():
                values = theme.get(key, [])
                if len(values) < minimum:
                    problems.append(f"{where}.{key}: {len(values)} entries, need at least {minimum}")
                if len(set(values)) != len(values):
                    problems.append(f"{where}.{key}: duplicate entries")
                for i, value in enumerate(values):
                    check_text(f"{where}.{key}[{i}]", value, key)

            topics_name_other = any("{other}" in topic for topic in theme.get("topics", []))
            for i, topic in enumerate(theme.get("topics", [])):
                if not topic[:1].islower() or _POSSESSIVE_PRONOUN.search(topic):
                    problems.append(f"{where}.topics[{i}]: must be a lower-case neutral noun phrase "
                                    f"without possessive pronouns, got {topic!r}")
            for i, other in enumerate(theme.get("others", [])):
                if first_names & set(re.findall(r"[A-Za-z'-]+", other)):
                    problems.append(f"{where}.others[{i}]: {other!r} shares a first name with the personas")
            for i, feeling in enumerate(theme.get("feelings", [])):
                if not re.fullmatch(r"[a-z]+(-[a-z]+)?", feeling):
                    problems.append(f"{where}.feelings[{i}]: expected one adjective, got {feeling!r}")
            for i, beat in enumerate(theme.get("story", [])):
                if not _FIRST_PERSON.search(beat):
                    problems.append(f"{where}.story[{i}]: not told in the first person: {beat!r}")
            for i, opening in enumerate(theme.get("openings", [])):
                if opening.count("{feeling}") != 1 or not _FEELING_SLOT.search(opening):
                    problems.append(f"{where}.openings[{i}]: needs exactly one '{{feeling}}' after "
                                    f"feel/feeling/felt: {opening!r}")
                if not _FIRST_PERSON.search(opening):
                    problems.append(f"{where}.openings[{i}]: not told in the first person")
            for i, background in enumerate(theme.get("backgrounds", [])):
                if not _slots(background) & {"name"} or _THIRD_PERSON_SLIP.search(background):
                    problems.append(f"{where}.backgrounds[{i}]: must be third person and name {{name}}")
                sentences = len(re.findall(r"[.!?](?= |$)", background))
                if not 2 <= sentences <= 3:
                    problems.append(f"{where}.backgrounds[{i}]: {sentences} sentences, expected 2-3")
            # A topic may already name the other person; then saying both reads as "...with Sam ... Sam".
            if topics_name_other:
                for key in ("openings", "backgrounds"):
                    for i, template in enumerate(theme.get(key, [])):
                        slots = _slots(template)
                        if slots & {"topic", "Topic"} and slots & {"other", "Other"}:
                            problems.append(f"{where}.{key}[{i}]: names both the topic and the other "
                                            f"person, but a topic of this theme already names them")
            for key in ("openings", "story", "goals", "backgrounds"):
                for i, text in enumerate(theme.get(key, [])):
                    for pattern in NEED_PHRASES:
                        if pattern.search(text):
                            problems.append(f"{where}.{key}[{i}]: names a hidden need "
                                            f"({pattern.pattern!r}): {text!r}")
    if len(set(theme_ids)) != len(theme_ids):
        problems.append("theme ids must be unique across train_themes and ood_themes")
    if problems:
        raise PartsError(f"{PARTS_PATH.name}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))


# ----------------------------------------------------------------------------------- composition

def _with_article(noun: str) -> str:
    """'a nurse', 'an accountant', 'a university student', 'an IT support technician'."""
    first = noun.split()[0]
    if len(first) > 1 and first.isupper():  # an acronym is read letter by letter
        vowel_sound = first[0] in "AEFHILMNORSX"
    else:
        vowel_sound = noun[0].lower() in "aeiou" and not noun.lower().startswith(("uni", "use", "eu", "one"))
    return ("an " if vowel_sound else "a ") + noun


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill(template: str, slots: dict[str, str]) -> str:
    text = template.format_map(slots)
    if "{" in text or "}" in text:
        raise PartsError(f"unfilled slot left in {text!r}")
    return text


def _spread(total: int, bins: int, rng: np.random.Generator) -> list[int]:
    """Split ``total`` into ``bins`` counts differing by at most one; the larger ones fall at random."""
    counts = [total // bins] * bins
    for i in rng.permutation(bins)[: total % bins]:
        counts[int(i)] += 1
    return counts


def _balanced(values: tuple[str, ...], total: int, rng: np.random.Generator) -> list[str]:
    """``total`` values, each used ``total // len(values)`` or one more times, in random order."""
    tiled = [values[i % len(values)] for i in range(total)]
    return [tiled[int(i)] for i in rng.permutation(total)]


def _situations(theme: dict[str, Any], counts: dict[str, int], rng: np.random.Generator
                ) -> dict[str, list[tuple[int, int, int]]]:
    """Distinct (topic, other, opening) index triples per split, test pairs kept apart from train."""
    pairs = [(t, o) for t in range(len(theme["topics"])) for o in range(len(theme["openings"]))]
    order = [pairs[int(i)] for i in rng.permutation(len(pairs))]
    reserved = math.ceil(len(pairs) * TEST_PAIR_SHARE) if "test" in counts else 0
    pools = {"test": order[:reserved], "train": order[reserved:], "ood": order}
    chosen: dict[str, list[tuple[int, int, int]]] = {}
    for split, count in counts.items():
        triples = [(t, w, o) for t, o in pools[split] for w in range(len(theme["others"]))]
        if count > len(triples):
            raise PartsError(f"theme {theme['id']!r} has {len(triples)} distinct {split} situations, "
                             f"needs {count}: add topics, others or openings")
        chosen[split] = [triples[int(i)] for i in rng.choice(len(triples), size=count, replace=False)]
    return chosen


def _compose(theme: dict[str, Any], situation: tuple[int, int, int], name: str, intention: str,
             characteristic: str, style: str, parts: dict[str, Any], rng: np.random.Generator
             ) -> dict[str, Any]:
    """One profile record (without id and split) for ``name`` in ``theme``."""
    topic_i, other_i, opening_i = situation
    other = theme["others"][other_i]
    topic = _fill(theme["topics"][topic_i], {"other": other})
    lo, hi = theme["ages"]
    age = int(rng.integers(lo, hi + 1))
    occupations = theme.get("occupations") or parts["occupations"]
    occupation = occupations[int(rng.integers(len(occupations)))]
    traits = [parts["traits"][int(i)] for i in rng.choice(len(parts["traits"]), TRAITS_PER_PERSONA, replace=False)]
    n_feelings = int(rng.integers(FEELINGS_PER_PROFILE[0], FEELINGS_PER_PROFILE[1] + 1))
    feelings = [theme["feelings"][int(i)] for i in rng.choice(len(theme["feelings"]), n_feelings, replace=False)]
    n_beats = int(rng.integers(STORY_BEATS[0], STORY_BEATS[1] + 1))
    # Beats are authored in the order they would come out in conversation; keep that order.
    beat_indices = sorted(int(i) for i in rng.choice(len(theme["story"]), n_beats, replace=False))
    background = theme["backgrounds"][int(rng.integers(len(theme["backgrounds"])))]
    goal = theme["goals"][int(rng.integers(len(theme["goals"])))]

    slots = {
        "name": name, "first_name": name.split()[0], "age": str(age),
        "occupation": occupation, "a_occupation": _with_article(occupation),
        "topic": topic, "Topic": _capitalized(topic), "other": other, "Other": _capitalized(other),
        "feeling": feelings[0],
    }
    return {
        "theme": theme["id"],
        "persona": {
            "name": name, "age": age, "occupation": occupation, "traits": traits,
            "speaking_style": style, "main_characteristic": characteristic,
        },
        "background": _fill(background, slots),
        "story": [_fill(theme["story"][i], slots) for i in beat_indices],
        "topic": topic,
        "other": other,
        "feelings": feelings,
        "goal": goal,
        "hidden_intention": intention,
        "opening_message": _fill(theme["openings"][opening_i], slots),
    }


def generate(parts: dict[str, Any], seed: int = SEED) -> dict[str, dict[str, Any]]:
    """The three split documents, keyed by split name, composed from ``parts`` with ``seed``."""
    check_parts(parts)
    rng = np.random.default_rng(seed)
    train_themes, ood_themes = parts["train_themes"], parts["ood_themes"]

    # Who appears where: per-theme counts, then distinct situations per theme and split.
    slots: dict[str, list[tuple[dict[str, Any], tuple[int, int, int]]]] = {s: [] for s in SPLIT_SIZES}
    train_counts = _spread(SPLIT_SIZES["train"], len(train_themes), rng)
    test_counts = _spread(SPLIT_SIZES["test"], len(train_themes), rng)
    for theme, n_train, n_test in zip(train_themes, train_counts, test_counts):
        for split, triples in _situations(theme, {"train": n_train, "test": n_test}, rng).items():
            slots[split].extend((theme, triple) for triple in triples)
    for theme, n_ood in zip(ood_themes, _spread(SPLIT_SIZES["ood"], len(ood_themes), rng)):
        slots["ood"].extend((theme, triple) for triple in _situations(theme, {"ood": n_ood}, rng)["ood"])

    total = sum(SPLIT_SIZES.values())
    name_pool = len(parts["first_names"]) * len(parts["family_names"])
    names = [f"{parts['first_names'][int(i) // len(parts['family_names'])]} "
             f"{parts['family_names'][int(i) % len(parts['family_names'])]}"
             for i in rng.choice(name_pool, size=total, replace=False)]

    documents: dict[str, dict[str, Any]] = {}
    for split, split_slots in slots.items():
        n = len(split_slots)
        # Slots are grouped by theme, so cycling the intentions gives every theme a mix of needs and
        # the split exact counts (the first n % 8 intentions get one more).
        intentions = [INTENTIONS[i % len(INTENTIONS)] for i in range(n)]
        characteristics = _balanced(CHARACTERISTICS, n, rng)
        styles = _balanced(SPEAKING_STYLES, n, rng)
        records = []
        for (theme, situation), intention, characteristic, style in zip(split_slots, intentions, characteristics, styles):
            records.append(_compose(theme, situation, names.pop(), intention, characteristic, style, parts, rng))
        shuffled = [records[int(i)] for i in rng.permutation(n)]
        profiles = []
        for number, record in enumerate(shuffled, start=1):
            profiles.append({"id": f"{split}-{number:0{ID_WIDTH[split]}d}", "split": split, **record})
        documents[split] = {"format": FORMAT, "split": split, "generated_by": GENERATED_BY,
                            "seed": seed, "profiles": profiles}
    _check_generated(documents)
    return documents


def _check_generated(documents: dict[str, dict[str, Any]]) -> None:
    """Fail unless the splits keep the promises the module docstring makes."""
    for split, document in documents.items():
        for index, record in enumerate(document["profiles"]):
            try:
                Profile.from_dict(record, source=f"profiles_{split}.json", index=index)
            except ProfileError as exc:
                raise PartsError(f"generated an invalid record: {exc}") from exc
    everyone = [record for document in documents.values() for record in document["profiles"]]
    problems = []
    names = [record["persona"]["name"] for record in everyone]
    if len(set(names)) != len(names):
        problems.append("a name appears twice")
    situations = [(r["theme"], r["topic"], r["other"], r["opening_message"]) for r in everyone]
    if len(set(situations)) != len(situations):
        problems.append("two profiles share theme, topic, other and opening")
    train = {(r["theme"], r["topic"], r["opening_message"]) for r in documents["train"]["profiles"]}
    test = {(r["theme"], r["topic"], r["opening_message"]) for r in documents["test"]["profiles"]}
    if train & test:
        problems.append("a test profile repeats a train situation")
    for split, document in documents.items():
        n = len(document["profiles"])
        counts = [sum(r["hidden_intention"] == i for r in document["profiles"]) for i in INTENTIONS]
        expected = [n // len(INTENTIONS) + (i < n % len(INTENTIONS)) for i in range(len(INTENTIONS))]
        if counts != expected:
            problems.append(f"{split}: intention counts {counts}, expected {expected}")
    if problems:
        raise PartsError("generated splits break their promises: " + "; ".join(problems))


# ----------------------------------------------------------------------------------- output

def render(document: dict[str, Any]) -> bytes:
    """The exact bytes written for one split (ASCII JSON, one-space indent, trailing newline)."""
    return (json.dumps(document, indent=1, ensure_ascii=True) + "\n").encode("ascii")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder to write profiles_{train,test,ood}.json into (default: the package data)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the files in --out differ from a fresh build")
    args = parser.parse_args(argv)

    parts = json.loads(PARTS_PATH.read_text(encoding="utf-8"))
    try:
        documents = generate(parts, SEED)
    except PartsError as exc:
        print(exc, file=sys.stderr)
        return 2
    stale = []
    for split, document in documents.items():
        path = args.out / f"profiles_{split}.json"
        data = render(document)
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path} ({len(document['profiles'])} profiles, {len(data) / 1e6:.2f} MB)")
    if stale:
        print("out of date (rerun tools/generate_profiles.py):\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
