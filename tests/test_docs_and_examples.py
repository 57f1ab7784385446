"""The README's environment table and examples stay true."""

import doctest
import importlib
import re
import runpy
from pathlib import Path

import pytest

from empathy_gym.envs.registration import ENVIRONMENTS, env_ids

ROOT = Path(__file__).resolve().parents[1]
#: README blocks that need the rllib extra start so; tests/test_rllib.py runs them (in its own environment).
RLLIB_BLOCK = "# needs the rllib extra"


def test_readme_table_lists_exactly_the_registered_ids():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`(EmpathyGym/[A-Za-z]+-v\d+)`", readme))
    assert listed == set(env_ids())
    for name, _, kwargs, action_type, backend in ENVIRONMENTS:
        row = next(line for line in readme.splitlines() if f"`EmpathyGym/{name}`" in line and line.startswith("|"))
        assert action_type in row and kwargs["difficulty"] in row and backend in row


def test_readme_has_exactly_two_setup_commands_and_the_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(pip install .+)$", readme, flags=re.MULTILINE)
    assert len(commands) == 2, commands
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# Command-line arguments that make an example's smoke run small (examples without them take none).
SMOKE_ARGS = {"pettingzoo_selfplay.py": ["--total-steps", "512", "--rounds", "2", "--num-steps", "32",
                                         "--eval-profiles", "10"],
              "train_grpo.py": ["--steps", "1", "--eval-users", "2"]}


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_example_runs(example, capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", [str(example), *SMOKE_ARGS.get(example.name, [])])
    runpy.run_path(str(example), run_name="__main__")
    assert capsys.readouterr().out


def test_readme_python_blocks_run_in_order(capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    # Blocks that need a model or a server say so on their first line; the rest must run.
    skipped = [block for block in blocks if block.startswith(("# not run by the tests:", RLLIB_BLOCK))]
    for block in skipped:
        compile(block, "README.md", "exec")  # they must at least be valid Python
    blocks = [block for block in blocks if block not in skipped]
    assert len(blocks) >= 2
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert "AGENT:" in capsys.readouterr().out


def test_readme_main_command_trains_ppo_with_an_extra_that_exists():
    from empathy_gym.cli import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    main_command = next(c for c in re.findall(r"^(pip install .+)$", readme, flags=re.MULTILINE) if "pytest" not in c)
    install, _, run = main_command.partition(" && ")
    extras = re.findall(r'"\.\[([a-z,]+)\]"', install)
    setup = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    assert extras and all(re.search(rf"^{extra} =$", setup, flags=re.MULTILINE) for extra in extras[0].split(","))
    assert run.startswith("empathy-gym ")
    args = build_parser().parse_args(run.split()[1:])
    assert args.command == "train"


ENV_MODULES = ("empathy_gym.envs.support", "empathy_gym.envs.support_strategy", "empathy_gym.envs.support_vector",
               "empathy_gym.envs.multiagent.supporter_seeker_v0", "empathy_gym.envs.multiagent.support_group_v0")


@pytest.mark.parametrize("name", ENV_MODULES)
def test_env_module_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0, result


def test_readme_counts_and_user_kinds_come_from_the_vocabularies_and_the_registry():
    from empathy_gym.model.user_kinds import user_kinds
    from empathy_gym.vocabulary import STRATEGIES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"Discrete\((\d+)\)`? strateg", readme)) | set(
        re.findall(r"strategy \(`Discrete\((\d+)\)`\)", readme)) == {str(len(STRATEGIES))}
    section = readme.split("## Kinds of simulated user", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)
    assert tuple(listed) == user_kinds()
