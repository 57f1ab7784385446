"""User turns per second of the LLM user: the native vector env (batched model calls) against SyncVectorEnv.

For each batch size N (default 1, 2, 4, 8, 16, 32), N ``EmpathyGym/SupportLLM-v0`` conversations
run on one tiny random transformers model (``tiny_random_chat_model``: a Llama of ``--layers``
layers and width ``--hidden``, built in memory, on CPU unless ``--device`` says otherwise), once
through ``gym.make_vec(..., vectorization_mode="vector_entry_point")`` (every phase of the N users'
turns is one ``generate`` call on a left-padded batch) and once through ``SyncVectorEnv`` (each
user's calls one at a time). The model writes gibberish, so every turn makes the full three calls
(analysis, its retry, reply) before the parametric fallback: the work per turn is the same in both
modes. Each figure is N x ``--steps`` user turns over the timed seconds (after one untimed
warm-up episode step for the whole run), the median of ``--repeats`` runs that alternate the two
modes so that a busy machine slows both alike; the ratio is native over sync of the medians. The
same seeds and replies are used in both modes, and the results record whether the two gave the
same transcripts (greedy decoding: they should, up to rare float differences from padding).

Run from the repository root on an otherwise idle machine:

    python benchmarks/llm_batching.py

Writes benchmarks/results/llm_batching.json and .md and prints the table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import gymnasium as gym
import torch
from _common import RESULTS, machine

import empathy_gym  # noqa: F401  (registers the ids)
from empathy_gym.envs.support import EmpathyEnv
from empathy_gym.model.llm import TransformersBackend
from empathy_gym.model.llm.tiny import tiny_random_chat_model

REPLIES = (
    "That sounds exhausting. What happened after that?",
    "It makes sense that you feel hurt by this.",
    "You are not to blame for how they reacted.",
    "What part of it weighs on you the most right now?",
)


def turns_per_second(mode: str, num_envs: int, steps: int, backend: TransformersBackend,
                     llm_options: dict) -> tuple[float, list]:
    """Timed user turns per second of one vector env, and the transcripts it produced."""
    kwargs = {"backend": backend, "llm_options": llm_options, "difficulty": {"max_turns": 100}}
    if mode == "native":
        envs = gym.make_vec("EmpathyGym/SupportLLM-v0", num_envs=num_envs, vectorization_mode="vector_entry_point",
                            **kwargs)
    else:
        envs = gym.vector.SyncVectorEnv([lambda: EmpathyEnv(user="llm", **kwargs) for _ in range(num_envs)])
    envs.reset(seed=0)
    batch = [tuple(REPLIES[(step + i) % len(REPLIES)] for i in range(num_envs)) for step in range(steps)]
    start = time.perf_counter()
    for actions in batch:
        envs.step(actions)
    elapsed = time.perf_counter() - start
    transcripts = [env.transcript for env in envs.envs]
    envs.close()
    return num_envs * steps / elapsed, transcripts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--steps", type=int, default=1, help="timed vector steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per mode and size (median reported)")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--analysis-tokens", type=int, default=200, help="default: the LLM user's own budget")
    parser.add_argument("--reply-tokens", type=int, default=120, help="default: the LLM user's own budget")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: steadier on a shared machine)")
    parser.add_argument("--out", default="llm_batching", help="results file stem under benchmarks/results/")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    model, tokenizer = tiny_random_chat_model(layers=args.layers, hidden=args.hidden, seed=0)
    backend = TransformersBackend(model, tokenizer, device=args.device)
    llm_options = {"analysis_tokens": args.analysis_tokens, "reply_tokens": args.reply_tokens}
    turns_per_second("native", 1, 1, backend, llm_options)  # warm-up (first-call set-up), untimed
    start = time.perf_counter()
    rows = []
    for size in args.sizes:
        rates: dict[str, list[float]] = {"native": [], "sync": []}
        same = True
        for _ in range(args.repeats):
            native, native_transcripts = turns_per_second("native", size, args.steps, backend, llm_options)
            sync, sync_transcripts = turns_per_second("sync", size, args.steps, backend, llm_options)
            rates["native"].append(native)
            rates["sync"].append(sync)
            same = same and native_transcripts == sync_transcripts
        row = {"num_envs": size, "same_transcripts": same}
        for mode, values in rates.items():
            row[mode] = statistics.median(values)
            row[f"{mode}_runs"] = values
        row["ratio"] = row["native"] / row["sync"]
        rows.append(row)
        print(f"N={size:>3}: native {row['native']:7.2f} turns/s, sync {row['sync']:7.2f} turns/s, "
              f"ratio {row['ratio']:5.2f}", flush=True)
    elapsed = time.perf_counter() - start

    command = (f"python benchmarks/llm_batching.py --sizes {' '.join(map(str, args.sizes))} --steps {args.steps} "
               f"--repeats {args.repeats} "
               f"--layers {args.layers} --hidden {args.hidden} --analysis-tokens {args.analysis_tokens} "
               f"--reply-tokens {args.reply_tokens} --device {args.device} --threads {args.threads}")
    where = machine() if args.device == "cpu" else f"{machine()}, {torch.cuda.get_device_name(args.device)}"
    lines = [f"Command: `{command}` ({elapsed / 60:.1f} min on {where}, torch {torch.__version__}, "
             f"{torch.get_num_threads()} torch threads)", "",
             f"User turns per second on `EmpathyGym/SupportLLM-v0` with a tiny random Llama ({args.layers} layers, "
             f"width {args.hidden}); every turn makes three calls (analysis, retry, reply; "
             f"{args.analysis_tokens}/{args.analysis_tokens}/{args.reply_tokens} new tokens).", "",
             "Median of the repeats (min-max).", "",
             "| envs | native vector env (batched) | SyncVectorEnv | ratio | same transcripts |",
             "| --- | --- | --- | --- | --- |"]
    for row in rows:
        cells = [f"{row[mode]:,.2f} ({min(row[f'{mode}_runs']):,.2f}-{max(row[f'{mode}_runs']):,.2f})"
                 for mode in ("native", "sync")]
        lines.append(f"| {row['num_envs']} | {cells[0]} | {cells[1]} | {row['ratio']:.2f} | "
                     f"{'yes' if row['same_transcripts'] else 'no'} |")
    table = "\n".join(lines)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(
        {"command": command, "machine": where, "minutes": round(elapsed / 60, 1), "rows": rows}, indent=1) + "\n")
    (RESULTS / f"{args.out}.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
