"""The simulated people: what the shipped splits promise, the record format, and loading user files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest

from empathy_gym._text import CHARSET
from empathy_gym.profiles import SPLITS, Profile, ProfileError, load_profiles, profile_by_id
from empathy_gym.vocabulary import CHARACTERISTICS, INTENTIONS, SPEAKING_STYLES

REPO = Path(__file__).resolve().parents[1]

#: Words that would hand the hidden need to the agent if a person said them outright.
NEED_WORDS = re.compile(
    r"\b(fault|blame\w*|advice|advise|praise\w*|vent|venting|proud of me|what should i do|why did|"
    r"why would|analy[sz](e|es|ed|ing|is)|reflect\w*|listen to me|motives?|perspective|empath\w*|recognition)\b",
    re.IGNORECASE,
)


def _all_profiles() -> list[Profile]:
    return [profile for split in SPLITS for profile in load_profiles(split)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    return []


def _situation(profile: Profile) -> tuple[str, str, str]:
    return profile.theme, profile.topic, profile.opening_message


def _content(profile: Profile) -> str:
    """Everything about a person except the bookkeeping (id, split)."""
    return json.dumps({k: v for k, v in profile.to_dict().items() if k not in ("id", "split")})


# --------------------------------------------------------------------------------- shipped splits

def test_train_split_has_at_least_500_profiles_roughly_balanced_over_intentions():
    train = load_profiles("train")
    assert len(train) >= 500
    counts = Counter(profile.hidden_intention for profile in train)
    assert set(counts) == set(INTENTIONS)
    assert max(counts.values()) - min(counts.values()) <= 2


def test_test_split_has_exactly_100_profiles_balanced_13_13_13_13_12_12_12_12():
    test = load_profiles("test")
    counts = Counter(profile.hidden_intention for profile in test)
    assert len(test) == 100
    assert [counts[intention] for intention in INTENTIONS] == [13, 13, 13, 13, 12, 12, 12, 12]


def test_ood_split_has_10_profiles_per_intention():
    counts = Counter(profile.hidden_intention for profile in load_profiles("ood"))
    assert [counts[intention] for intention in INTENTIONS] == [10] * len(INTENTIONS)


def test_ood_themes_never_appear_in_train_or_test_and_test_themes_all_come_from_train():
    themes = {split: {profile.theme for profile in load_profiles(split)} for split in SPLITS}
    assert len(themes["train"]) >= 20
    assert len(themes["ood"]) >= 6
    assert themes["test"] <= themes["train"]
    assert not themes["ood"] & (themes["train"] | themes["test"])


def test_every_record_carries_its_split_and_an_id_with_the_split_prefix():
    for split in SPLITS:
        for profile in load_profiles(split):
            assert profile.split == split
            assert re.fullmatch(rf"{split}-\d+", profile.id), profile.id


def test_no_profile_is_shared_between_splits_by_id_name_or_content():
    by_split = {split: load_profiles(split) for split in SPLITS}
    for a, b in [("train", "test"), ("train", "ood"), ("test", "ood")]:
        assert not {p.id for p in by_split[a]} & {p.id for p in by_split[b]}
        assert not {p.persona.name for p in by_split[a]} & {p.persona.name for p in by_split[b]}
        assert not {_situation(p) for p in by_split[a]} & {_situation(p) for p in by_split[b]}
        assert not {_content(p) for p in by_split[a]} & {_content(p) for p in by_split[b]}


def test_every_shipped_profile_is_a_distinct_person():
    everyone = _all_profiles()
    assert len(everyone) >= 600
    assert len({p.id for p in everyone}) == len(everyone)
    assert len({p.persona.name for p in everyone}) == len(everyone)
    assert len({(p.theme, p.topic, p.other, p.opening_message) for p in everyone}) == len(everyone)


def test_every_text_field_is_printable_ascii_on_one_line():
    allowed = set(CHARSET) - {"\n"}
    for profile in _all_profiles():
        for text in _strings(profile.to_dict()):
            assert text.strip(), profile.id
            assert set(text) <= allowed, (profile.id, text)


def test_every_template_slot_is_filled():
    for profile in _all_profiles():
        for text in _strings(profile.to_dict()):
            assert "{" not in text and "}" not in text, (profile.id, text)


def test_openings_stories_and_goals_never_name_the_hidden_need():
    for profile in _all_profiles():
        for text in (profile.opening_message, profile.goal, profile.background, *profile.story):
            assert not NEED_WORDS.search(text), (profile.id, text)
            for intention in INTENTIONS:
                assert intention.replace("_", " ") not in text.lower().replace("-", " "), (profile.id, text)


def test_opening_message_voices_one_of_the_persons_feelings():
    for profile in _all_profiles():
        assert any(feeling in profile.opening_message for feeling in profile.feelings), profile.id


def test_background_introduces_the_person_by_name_and_age():
    for profile in _all_profiles():
        assert profile.persona.name in profile.background
        assert str(profile.persona.age) in profile.background


def test_personas_have_three_distinct_traits_a_plausible_age_and_enough_story_to_tell():
    for profile in _all_profiles():
        persona = profile.persona
        assert len(set(persona.traits)) == 3
        assert 16 <= persona.age <= 90
        assert 5 <= len(profile.story) <= 7
        assert len(set(profile.story)) == len(profile.story)
        assert 2 <= len(profile.feelings) <= 3
        assert persona.first_name == persona.name.split()[0]


def test_characteristics_and_speaking_styles_are_spread_evenly_within_each_split():
    for split in SPLITS:
        profiles = load_profiles(split)
        for values, field in ((CHARACTERISTICS, "main_characteristic"), (SPEAKING_STYLES, "speaking_style")):
            counts = Counter(getattr(p.persona, field) for p in profiles)
            assert set(counts) == set(values), (split, field)
            assert max(counts.values()) - min(counts.values()) <= 1, (split, field, counts)


def test_shipped_splits_are_cached_and_returned_as_tuples_of_profiles():
    first = load_profiles("test")
    assert load_profiles("test") is first
    assert isinstance(first, tuple) and all(isinstance(p, Profile) for p in first)
    assert load_profiles() is load_profiles("train")


def test_profile_by_id_finds_a_profile_in_any_split():
    for split in SPLITS:
        profile = load_profiles(split)[0]
        assert profile_by_id(profile.id) is profile


def test_profile_by_id_of_an_unknown_id_raises_key_error_naming_it_and_suggesting_close_ids():
    with pytest.raises(KeyError, match="test-999.*test-"):
        profile_by_id("test-999")


def test_generator_is_deterministic_and_reproduces_the_shipped_files(tmp_path):
    subprocess.run([sys.executable, str(REPO / "tools" / "generate_profiles.py"), "--out", str(tmp_path)],
                   cwd=REPO, check=True, capture_output=True)
    for split in SPLITS:
        shipped = REPO / "empathy_gym" / "data" / f"profiles_{split}.json"
        assert (tmp_path / f"profiles_{split}.json").read_bytes() == shipped.read_bytes(), split
        document = json.loads(shipped.read_text(encoding="ascii"))
        assert document["split"] == split and document["generated_by"] == "tools/generate_profiles.py"
        assert shipped.stat().st_size < 1_500_000


# --------------------------------------------------------------------------------- the record

def test_to_dict_and_from_dict_round_trip_every_shipped_profile():
    for profile in _all_profiles():
        assert Profile.from_dict(profile.to_dict()) == profile


def test_to_dict_returns_a_fresh_plain_json_ready_dict():
    profile = load_profiles("test")[0]
    record = profile.to_dict()
    assert isinstance(record["story"], list) and isinstance(record["persona"]["traits"], list)
    record["story"].append("changed")
    record["persona"]["name"] = "Someone Else"
    assert profile.to_dict() != record
    assert json.loads(json.dumps(profile.to_dict())) == profile.to_dict()


def test_a_record_without_a_split_becomes_a_custom_profile():
    record = load_profiles("test")[0].to_dict()
    del record["split"]
    assert Profile.from_dict(record).split == "custom"


def test_from_dict_names_source_record_id_and_field_in_its_error():
    record = load_profiles("test")[0].to_dict()
    record["id"] = "p-4"
    record["persona"]["age"] = "forty"
    with pytest.raises(ProfileError) as caught:
        Profile.from_dict(record, source="my_people.json", index=3)
    assert str(caught.value) == ("my_people.json: record 3 (id 'p-4'): field 'persona.age': "
                                 "expected an integer in 12..100, got 'forty'")
    assert isinstance(caught.value, ValueError)
    assert (caught.value.index, caught.value.profile_id, caught.value.field) == (3, "p-4", "persona.age")


# --------------------------------------------------------------------------------- user files

def _user_record(profile_id: str) -> dict[str, Any]:
    record = load_profiles("test")[0].to_dict()
    del record["split"]
    record["id"] = profile_id
    return record


def _write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_loads_a_user_json_list_of_records_from_a_path_or_string(tmp_path):
    path = _write_json(tmp_path / "people.json", [_user_record("p-1"), _user_record("p-2")])
    for argument in (path, str(path)):
        profiles = load_profiles(argument)
        assert [p.id for p in profiles] == ["p-1", "p-2"]
        assert all(p.split == "custom" for p in profiles)


def test_loads_a_user_json_object_with_a_profiles_list(tmp_path):
    path = _write_json(tmp_path / "people.json", {"format": 1, "profiles": [_user_record("p-1")]})
    assert [p.id for p in load_profiles(path)] == ["p-1"]


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_loads_a_user_yaml_file(tmp_path, suffix):
    yaml = pytest.importorskip("yaml")
    path = tmp_path / f"people{suffix}"
    path.write_text(yaml.safe_dump({"profiles": [_user_record("p-1"), _user_record("p-2")]}), encoding="utf-8")
    profiles = load_profiles(path)
    assert [p.id for p in profiles] == ["p-1", "p-2"]
    assert profiles[0].persona == load_profiles("test")[0].persona


def test_reading_yaml_without_pyyaml_raises_import_error_with_install_hint(tmp_path, monkeypatch):
    path = tmp_path / "people.yaml"
    path.write_text("[]", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "yaml", None)  # makes `import yaml` fail
    with pytest.raises(ImportError, match=r'pip install "empathy_gym\[yaml\]"'):
        load_profiles(path)


def test_an_unknown_name_that_is_not_a_file_raises_value_error_listing_the_splits(tmp_path):
    for argument in ("validation", str(tmp_path / "missing.json")):
        with pytest.raises(ValueError, match="'train', 'test', 'ood'"):
            load_profiles(argument)


def _drop(field: str) -> Callable[[dict[str, Any]], None]:
    return lambda record: record.pop(field)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        *parents, key = path.split(".")
        for parent in parents:
            record = record[parent]
        record[key] = value
    return change


MALFORMED = {
    "missing field": (_drop("goal"), "'goal'", "missing"),
    "wrong type": (_set("persona.age", "forty"), "'persona.age'", "expected an integer in 12..100"),
    "age out of range": (_set("persona.age", 7), "'persona.age'", "12..100"),
    "story not a list": (_set("story", "one long story"), "'story'", "expected a list"),
    "too few story beats": (_set("story", ["One.", "Two."]), "'story'", "at least 3"),
    "no feelings": (_set("feelings", []), "'feelings'", "at least 1"),
    "two traits": (_set("persona.traits", ["warm", "shy"]), "'persona.traits'", "exactly 3"),
    "empty topic": (_set("topic", " "), "'topic'", "non-empty"),
    "unknown hidden_intention": (_set("hidden_intention", "cheer_up"), "'hidden_intention'", "'practical_advice'"),
    "unknown speaking style": (_set("persona.speaking_style", "shouty"), "'persona.speaking_style'", "'rambling'"),
    "unknown characteristic": (_set("persona.main_characteristic", "sunny"), "'persona.main_characteristic'",
                               "'avoidant'"),
    "unknown extra key": (_set("mood", "low"), "'mood'", "'opening_message'"),
    "unknown persona key": (_set("persona.hobby", "chess"), "'persona.hobby'", "'speaking_style'"),
    "curly quote": (_set("opening_message", "I can\u2019t sleep."), "'opening_message'", "outside the allowed"),
    "line break": (_set("background", "One line.\nAnother line."), "'background'", "line break"),
    "unknown split": (_set("split", "validation"), "'split'", "'custom'"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_record_raises_profile_error_naming_file_record_and_field(tmp_path, case):
    spoil, field, problem = MALFORMED[case]
    bad = _user_record("p-2")
    spoil(bad)
    path = _write_json(tmp_path / "my_people.json", [_user_record("p-1"), bad])
    with pytest.raises(ProfileError) as caught:
        load_profiles(path)
    message = str(caught.value)
    assert "my_people.json" in message
    assert "record 1 (id 'p-2')" in message
    assert f"field {field}" in message
    assert problem in message


def test_a_malformed_yaml_record_names_file_record_and_field_too(tmp_path):
    yaml = pytest.importorskip("yaml")
    bad = _user_record("p-2")
    del bad["opening_message"]
    path = tmp_path / "my_people.yaml"
    path.write_text(yaml.safe_dump([_user_record("p-1"), bad]), encoding="utf-8")
    with pytest.raises(ProfileError, match=r"my_people\.yaml: record 1 \(id 'p-2'\): field 'opening_message'"):
        load_profiles(path)


def test_duplicate_ids_in_a_file_raise_profile_error_naming_both_records(tmp_path):
    path = _write_json(tmp_path / "my_people.json", [_user_record("p-1"), _user_record("p-2"), _user_record("p-1")])
    with pytest.raises(ProfileError) as caught:
        load_profiles(path)
    message = str(caught.value)
    assert "my_people.json" in message and "field 'id'" in message
    assert "record 2" in message and "record 0" in message


def test_invalid_json_raises_profile_error_naming_the_file_and_the_parser_message(tmp_path):
    path = tmp_path / "my_people.json"
    path.write_text('[{"id": "p-1",]', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"my_people\.json: not valid JSON: .*line 1 column"):
        load_profiles(path)


def test_invalid_yaml_raises_profile_error_naming_the_file(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "my_people.yaml"
    path.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"my_people\.yaml: not valid YAML"):
        load_profiles(path)


@pytest.mark.parametrize("document", [[], {"profiles": []}, {"people": [1]}, "just text", 42])
def test_a_file_without_a_non_empty_record_list_raises_profile_error(tmp_path, document):
    path = _write_json(tmp_path / "my_people.json", document)
    with pytest.raises(ProfileError, match="my_people.json"):
        load_profiles(path)


def test_a_record_that_is_not_an_object_raises_profile_error(tmp_path):
    path = _write_json(tmp_path / "my_people.json", [_user_record("p-1"), ["not", "a", "record"]])
    with pytest.raises(ProfileError, match=r"my_people\.json: record 1: expected a profile record"):
        load_profiles(path)


def test_an_unsupported_file_type_raises_profile_error_listing_the_supported_ones(tmp_path):
    path = tmp_path / "my_people.csv"
    path.write_text("id,name\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"my_people\.csv.*'\.json', '\.yaml', '\.yml'"):
        load_profiles(path)
