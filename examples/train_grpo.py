"""Train a language model against the simulated user with TRL's GRPO, and score it before and after.

    python examples/train_grpo.py                                               # tiny random model, offline, CPU
    python examples/train_grpo.py --model /models/Qwen2.5-0.5B-Instruct --difficulty normal   # your model

Needs the trl extra: pip install -c constraints.txt ".[trl]". Each GRPO prompt is one whole
conversation with a simulated person from the train split (``prompt_dataset``); the model writes
every supporter reply, the person's turns come back as user messages in its chat template, only
its own tokens are trained on, and the reward is the episode's return (RLVER's final emotion /
100) (``ConversationRollout``, ``episode_return_reward``). Before and after training the model
plays held-out test users as an ``LLMAgent`` through the evaluation suite (greedy decoding).

Without ``--model`` it builds a tiny random Llama and a word-level tokenizer in code, so the
script runs anywhere with nothing downloaded, in about a minute on two CPU cores. That model
writes word salad and learns nothing useful; the run shows the machinery. With ``--model`` (a
local Hugging Face model directory: nothing is downloaded) it trains on the GPU when there is one
(bfloat16), else on the CPU, with settings sized for a real run; the flags below change them.
``--user-backend SPEC`` makes the person an LLM user (``transformers:PATH`` or
``openai:BASE_URL#MODEL``) instead of the parametric one.
"""

import argparse
import os
import tempfile
import time
from dataclasses import dataclass

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is experimental; the README says so

import torch  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

from empathy_gym.evaluation import EVAL_SETTINGS, evaluate, table  # noqa: E402
from empathy_gym.integrations.trl import ConversationRollout, episode_return_reward, prompt_dataset  # noqa: E402
from empathy_gym.model.difficulty import make_difficulty  # noqa: E402
from empathy_gym.model.llm import TransformersBackend  # noqa: E402
from empathy_gym.model.llm.tiny import supporter_words, tiny_random_chat_model  # noqa: E402
from empathy_gym.policies.llm_agent import SUPPORTER_PROMPT, LLMAgent  # noqa: E402
from empathy_gym.profiles import load_profiles  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    """The settings that differ between the tiny offline run and a run on a real model."""

    steps: int
    prompts_per_step: int
    num_generations: int
    max_reply_tokens: int
    max_turns: int | None  # None: the difficulty's own turn budget
    learning_rate: float
    eval_users: int


TINY = Sizes(steps=4, prompts_per_step=2, num_generations=4, max_reply_tokens=12, max_turns=3, learning_rate=5e-3,
             eval_users=10)
REAL = Sizes(steps=200, prompts_per_step=4, num_generations=8, max_reply_tokens=256, max_turns=None,
             learning_rate=1e-6, eval_users=100)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", help="a local Hugging Face model directory (default: a tiny random model)")
    parser.add_argument("--difficulty", default="normal", help="the training users' difficulty: preset or level")
    parser.add_argument("--steps", type=int, help=f"GRPO steps (default {TINY.steps} tiny, {REAL.steps} --model)")
    parser.add_argument("--prompts-per-step", type=int, help="conversations per step, before the G repeats "
                        f"(default {TINY.prompts_per_step} tiny, {REAL.prompts_per_step} --model)")
    parser.add_argument("--num-generations", type=int, help="G: completions per prompt "
                        f"(default {TINY.num_generations} tiny, {REAL.num_generations} --model)")
    parser.add_argument("--max-reply-tokens", type=int, help="tokens per reply "
                        f"(default {TINY.max_reply_tokens} tiny, {REAL.max_reply_tokens} --model)")
    parser.add_argument("--max-turns", type=int, help=f"turn budget (default {TINY.max_turns} tiny, the "
                        "difficulty's with --model)")
    parser.add_argument("--learning-rate", type=float, help=f"default {TINY.learning_rate} tiny, "
                        f"{REAL.learning_rate} --model")
    parser.add_argument("--eval-users", type=int, help="test users scored before and after (0: no evaluation; "
                        f"default {TINY.eval_users} tiny, all {REAL.eval_users} --model)")
    parser.add_argument("--think", choices=("off", "strip"), default="off",
                        help="strip <think>...</think> before the user reads a reply (thinking models)")
    parser.add_argument("--user-backend", help="an LLM user instead of the parametric one: transformers:PATH or "
                        "openai:BASE_URL#MODEL")
    parser.add_argument("--output-dir", help="save the trained model and tokenizer here (default: not saved)")
    parser.add_argument("--report-to", default="none", help="TRL/transformers loggers: none, tensorboard, wandb")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = REAL if args.model else TINY
    for name, value in vars(sizes).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for name in ("steps", "prompts_per_step", "num_generations", "max_reply_tokens"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer, got {getattr(args, name)}")
    if args.model is not None and not os.path.isdir(args.model):
        parser.error(f"--model: no local model directory at {args.model!r} (nothing is downloaded)")
    if args.eval_users < 0 or args.eval_users > len(load_profiles("test")):
        parser.error(f"--eval-users must be in 0..{len(load_profiles('test'))}, got {args.eval_users}")
    try:
        args.difficulty = difficulty_arg(args.difficulty)
        make_difficulty(args.difficulty)
    except ValueError as error:
        parser.error(f"--difficulty: {error}")
    return args


def difficulty_arg(text: str):
    """A level in [0, 1] when the text is a number, else a preset name."""
    try:
        return float(text)
    except ValueError:
        return text


def load_policy(args: argparse.Namespace, cuda: bool):
    """The model and tokenizer to train: a local directory, or the tiny random model."""
    if args.model is None:
        return tiny_random_chat_model(vocabulary=supporter_words(300), seed=args.seed)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.model, local_files_only=True)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(args.model, local_files_only=True,
                                                 dtype=torch.bfloat16 if cuda else torch.float32)
    return model.to("cuda" if cuda else "cpu"), tokenizer


def score(model, tokenizer, args: argparse.Namespace) -> dict:
    """The model as a greedy LLMAgent on the first ``eval_users`` test users at the normal evaluation setting."""
    agent = LLMAgent(TransformersBackend(model, tokenizer), system_prompt=SUPPORTER_PROMPT,
                     max_new_tokens=args.max_reply_tokens, name="grpo")
    people = list(load_profiles("test")[:args.eval_users])
    setting = EVAL_SETTINGS["normal"] if args.max_turns is None else EVAL_SETTINGS["normal"].replace(
        max_turns=args.max_turns)
    _, summary = evaluate(agent, env_id="EmpathyGym/Support-v0", difficulty=setting, env_kwargs={"profiles": people})
    model.train()  # the backend put it in eval mode
    return summary


def main() -> None:
    args = parse_args()
    cuda = torch.cuda.is_available() and args.model is not None
    torch.manual_seed(args.seed)
    model, tokenizer = load_policy(args, cuda)
    base = "preset" if isinstance(args.difficulty, str) else "level"
    env_difficulty = args.difficulty if args.max_turns is None else {base: args.difficulty, "max_turns": args.max_turns}
    user = {} if args.user_backend is None else {"user": "llm", "backend": args.user_backend}
    print(f"GRPO on EmpathyGym/Support-v0 ({args.difficulty}, {args.max_turns or 'default'} turns, "
          f"{'LLM user' if user else 'parametric user'}): {args.model or 'tiny random model'} on "
          f"{'cuda' if cuda else 'cpu'}, {args.steps} steps x {args.prompts_per_step} conversations x "
          f"G={args.num_generations}, replies up to {args.max_reply_tokens} tokens, think={args.think}")

    before = score(model, tokenizer, args) if args.eval_users else None
    rollout = ConversationRollout("EmpathyGym/Support-v0", difficulty=env_difficulty, think=args.think,
                                  max_reply_tokens=args.max_reply_tokens, **user)
    with tempfile.TemporaryDirectory() as scratch:
        config = GRPOConfig(
            output_dir=args.output_dir or scratch, max_steps=args.steps, num_generations=args.num_generations,
            per_device_train_batch_size=args.prompts_per_step * args.num_generations,
            max_completion_length=args.max_reply_tokens, learning_rate=args.learning_rate, logging_steps=1,
            report_to=args.report_to, save_strategy="no", seed=args.seed, use_cpu=not cuda, bf16=cuda,
            disable_tqdm=True)
        trainer = GRPOTrainer(model=model, reward_funcs=episode_return_reward, args=config,
                              train_dataset=prompt_dataset("train", rows=args.steps * args.prompts_per_step,
                                                           seed=args.seed),
                              processing_class=tokenizer, rollout_func=rollout)
        start = time.perf_counter()
        trainer.train()
        print(f"trained {args.steps} GRPO steps in {time.perf_counter() - start:.0f} s")
        if args.output_dir:
            trainer.save_model(args.output_dir)
            tokenizer.save_pretrained(args.output_dir)
            print(f"saved the trained model to {args.output_dir}")
    rollout.close()

    for row in trainer.state.log_history:
        if "reward" in row:
            print(f"step {row['step']:>3}: reward {row['reward']:.3f} (std {row['reward_std']:.3f}), final emotion "
                  f"{row['empathy/final_emotion']:.1f}, success {row['empathy/success_rate']:.0%}, "
                  f"failure {row['empathy/failure_rate']:.0%}, turns {row['empathy/turns']:.1f}")
    if before is not None:
        after = score(model, tokenizer, args)
        rows = [[name, f"{s['mean_final_emotion']:.1f} +/- {s['ci95']:.1f}", f"{100 * s['success_rate']:.0f}",
                 f"{100 * s['failure_rate']:.0f}", f"{s['mean_turns']:.1f}"]
                for name, s in (("before", before), ("after", after))]
        print(f"\n{args.eval_users} test users, normal evaluation setting, greedy replies:\n")
        print(table(["model", "final emotion", "success %", "fail %", "turns"], rows))
    if args.model is None:
        print("\n(a tiny random model learns nothing useful: pass --model DIR to train a real one)")


if __name__ == "__main__":
    main()
