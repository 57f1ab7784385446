"""The benchmark scripts stay runnable (tiny budgets; the real runs are by hand, results committed)."""

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def bench(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(BENCHMARKS))

    def load(name):
        module = __import__(name)
        monkeypatch.setattr(module, "RESULTS", tmp_path, raising=False)
        return module

    yield load
    for name in ("ppo_gap", "ppo_vs_sb3", "throughput", "llm_batching", "step_profile", "annotator_agreement",
                 "human_reading", "_common"):
        sys.modules.pop(name, None)


def test_ppo_gap_reports_the_gap_per_seed(bench, tmp_path, monkeypatch, capsys):
    from empathy_gym.agents.ppo import PPOConfig

    ppo_gap = bench("ppo_gap")
    monkeypatch.setattr(sys, "argv", ["ppo_gap.py", "--seeds", "1", "--total-steps", "512", "--eval-seeds", "1",
                                      "--workers", "1", "--difficulty", "simple"])
    ppo_gap.main()
    result = json.loads((tmp_path / "ppo_gap.json").read_text())
    run = result["runs"][0]
    low, high = result["random"]["mean_final_emotion"], result["oracle"]["mean_final_emotion"]
    assert run["greedy"]["gap_closed"] == pytest.approx((run["greedy"]["mean_final_emotion"] - low) / (high - low))
    assert run["greedy"]["episodes"] == 100 and run["steps"] == 2048  # one whole update
    ood_low, ood_high = (result["references_on_ood_profiles"][name] for name in ("random", "oracle"))
    assert run["ood_greedy"]["episodes"] == 80
    assert run["ood_greedy"]["gap_closed"] == pytest.approx((run["ood_greedy"]["mean_final_emotion"] - ood_low)
                                                            / (ood_high - ood_low))
    assert result["config"]["hidden_sizes"] == list(PPOConfig().hidden_sizes)
    assert "| mean |" in capsys.readouterr().out


def test_ppo_vs_sb3_trains_both_and_reports_the_ratio(bench, tmp_path, monkeypatch):
    ppo_vs_sb3 = bench("ppo_vs_sb3")
    monkeypatch.setattr(sys, "argv", ["ppo_vs_sb3.py", "--seeds", "1", "--total-steps", "4096", "--eval-every", "2048",
                                      "--final-eval-seeds", "1", "--threshold", "0", "--difficulty", "simple"])
    ppo_vs_sb3.main()
    result = json.loads((tmp_path / "ppo_vs_sb3.json").read_text())
    assert [run["agent"] for run in result["runs"]] == ["bundled", "sb3"]
    for run in result["runs"]:
        assert run["steps"] == 4096 and run["reached"]["steps"] == 2048  # threshold 0: reached at the first scoring
        assert [steps for steps, _ in run["curve"]] == [2048, 4096]  # after each update of 2048 steps
    assert result["wall_clock_ratio"] > 0


def test_throughput_measures_every_id_against_cartpole(bench, tmp_path, monkeypatch):
    from empathy_gym.envs.registration import env_ids

    throughput = bench("throughput")
    monkeypatch.setattr(sys, "argv", ["throughput.py", "--repeats", "2", "--steps", "40", "--cartpole-steps", "400",
                                      "--train-steps", "2048", "--memory-episodes", "30"])
    throughput.main()
    result = json.loads((tmp_path / "throughput.json").read_text())
    assert set(result["envs"]) == {"CartPole-v1", *env_ids(backend="parametric")}
    for env_id, row in result["envs"].items():
        kinds = ("single", "sync8", "native8", "async2") + (("sync64", "native64") if env_id in throughput.WIDE_IDS else ())
        for kind in kinds:
            assert 0 < row[kind]["min"] <= row[kind]["median"] <= row[kind]["max"]
    assert set(result["training_steps_per_second"]) == {"bundled_ppo", "sb3_ppo"}
    memory = result["memory"]
    assert memory["episodes"] == 30 and memory["steps"] >= 30 and len(memory["samples"]) == 10
    assert all(rss > 0 for _, rss in memory["samples"])
    assert [row["met"] for row in result["targets"]].count(None) == 0 and len(result["targets"]) == 5
    text = (tmp_path / "throughput.md").read_text()
    assert "x CartPole" in text and "| target | measured | met |" in text


def test_llm_batching_compares_the_native_vector_env_with_sync(bench, tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    llm_batching = bench("llm_batching")
    monkeypatch.setattr(sys, "argv", ["llm_batching.py", "--sizes", "1", "2", "--steps", "1", "--repeats", "1", "--hidden", "16",
                                      "--layers", "1", "--analysis-tokens", "3", "--reply-tokens", "3"])
    llm_batching.main()
    result = json.loads((tmp_path / "llm_batching.json").read_text())
    assert [row["num_envs"] for row in result["rows"]] == [1, 2]
    for row in result["rows"]:
        assert row["native"] > 0 and row["sync"] > 0 and row["ratio"] == pytest.approx(row["native"] / row["sync"])
        assert row["same_transcripts"]
    assert "| 2 |" in (tmp_path / "llm_batching.md").read_text()


def test_step_profile_splits_a_step_into_parts_that_fit_inside_it(bench, tmp_path, monkeypatch):
    step_profile = bench("step_profile")
    monkeypatch.setattr(sys, "argv", ["step_profile.py", "--steps", "60"])
    step_profile.main()
    result = json.loads((tmp_path / "step_profile.json").read_text())
    assert [r["env_id"] for r in result["results"]] == list(step_profile.IDS)
    for run in result["results"]:
        parts = {part["part"]: part["share"] for part in run["parts"]}
        assert run["steps_per_second"] > 0
        assert 0.5 < parts["step (env.step, with the wrappers of gym.make)"] <= 1.0
        nested = [part for part in run["parts"] if part["depth"] == 3]
        reading = next(part for part in run["parts"] if part["part"].startswith("reading the reply"))
        assert sum(part["share"] for part in nested) == pytest.approx(reading["share"])
        assert all(0.0 <= part["share"] <= 1.0 for part in run["parts"])
    strategy = {part["part"]: part["share"] for part in result["results"][0]["parts"]}
    assert strategy["new texts read from scratch (cues, move and coherence models)"] > 0.0  # cold: new replies
    assert "| part | share |" in (tmp_path / "step_profile.md").read_text()


def test_annotator_agreement_samples_without_labels_and_scores_like_the_reading_benchmark(bench, tmp_path, capsys):
    # A made-up windows file in ESConv's format (nothing from ESConv).
    windows = [("My brother stopped answering my calls.", "[Questions] What happened the last time you spoke?"),
               ("I failed my driving test again.", "[Affirmation and Reassurance] You will get there, lots of people "
                "need a few tries."),
               ("My dog died on Sunday.", "[Reflection of feelings] You must be heartbroken."),
               ("I cannot sleep before exams.", "[Providing Suggestions] Try writing your worries down before bed.")]
    esconv = tmp_path / "windows.tsv"
    esconv.write_text("\n".join(f"1.0 0 0 {seeker} EOS 1.0 1 1 {reply}" for seeker, reply in windows) + "\n")
    agreement = bench("annotator_agreement")
    out = tmp_path / "annotation"
    agreement.sample(esconv, out, 3, seed=0)
    items = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    assert [item["id"] for item in items] == [0, 1, 2]
    assert all("[" not in item["reply"] and set(item) == {"id", "seeker_said", "reply"} for item in items)
    index = json.loads((out / "keys.json").read_text())["index"]
    right = {0: "open_question", 1: "generic_reassurance", 2: "reflect_feelings", 3: "suggestion"}
    answers = [{"id": n, "label": right[i]} for n, i in enumerate(index)]
    (out / "answers.jsonl").write_text("\n".join(json.dumps(a) for a in answers) + "\n")
    agreement.score(esconv, out, "learned")
    assert "annotator: mapped accuracy against ESConv 100.0%" in capsys.readouterr().out
    answers[0]["label"] = "small_talk"
    (out / "answers.jsonl").write_text("\n".join(json.dumps(a) for a in answers) + "\n")
    with pytest.raises(SystemExit, match="small_talk"):
        agreement.score(esconv, out, "learned")
    with pytest.raises(SystemExit, match="--n must be between 1 and 4"):
        agreement.sample(esconv, tmp_path / "never", 5, seed=0)
    assert not (tmp_path / "never").exists()


def test_human_reading_scores_the_blind_set_with_none_read_right_as_no_move(bench, tmp_path):
    reading = bench("human_reading")
    rows = [{"id": "a", "reply": "What has been the hardest part of this for you?", "strategy": "open_question"},
            {"id": "b", "reply": "", "strategy": "none"},
            {"id": "c", "reply": "What has been the hardest part of this for you?", "strategy": "suggestion"}]
    path = tmp_path / "blind.jsonl"
    path.write_text("".join(json.dumps({**row, "set": "t", "style": "s", "split": split}) + "\n"
                            for row in rows for split in ("study", "held_aside")))
    from empathy_gym.model.appraisal import named_reader
    from empathy_gym.vocabulary import STRATEGIES

    BLIND_LABELS = frozenset(STRATEGIES) | {"none"}
    result = reading.score_labelled(named_reader("learned"), path, BLIND_LABELS)
    for split in ("study", "held_aside"):
        assert result[split]["n"] == 3
        assert result[split]["per_label"]["none"]["recall"] == 1.0
        assert result[split]["per_label"]["suggestion"]["recall"] == 0.0
        assert abs(result[split]["accuracy"] - 2 / 3) < 1e-9
        assert result[split]["no_move"] == 0.0
    path.write_text(json.dumps({**rows[0], "strategy": "small_talk", "set": "t", "style": "s", "split": "study"}) + "\n")
    with pytest.raises(ValueError, match="small_talk"):
        reading.score_labelled(named_reader("learned"), path, BLIND_LABELS)
