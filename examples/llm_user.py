"""A conversation with an LLM-played user, then four at once through the batched vector env.

Runs offline as-is: a small scripted stand-in plays the model (it scores a reply +6 when it asks
a question and +2 otherwise, and answers with a canned sentence), so you can see the machinery
without a model. To use a real model, name it in an environment variable:

    EMPATHY_GYM_LLM_BACKEND=transformers:/path/to/local/model python examples/llm_user.py
    EMPATHY_GYM_LLM_BACKEND=openai:http://127.0.0.1:8000/v1#model-name python examples/llm_user.py
"""

import json
import os

import gymnasium as gym

import empathy_gym  # noqa: F401  (registers the ids)
from empathy_gym.model.llm import CallableBackend, backend_from_spec


def stand_in_model(messages):
    """Plays the model's two calls: the analysis (JSON) and the user's next words."""
    prompt = messages[-1]["content"]
    if "What do you say next?" in prompt:
        return "I guess that is part of it. It has been a lot to carry."
    reply = json.loads(prompt.split("<supporter_reply>\n")[1].split("\n</supporter_reply>")[0])
    change = 6 if "?" in reply else 2
    return json.dumps({"meaning": "they are trying to help", "serves_need": change > 5, "change": change,
                       "inner_reaction": "They asked me something real." if change > 5 else "That was kind enough.",
                       "reasons": ["served_need" if change > 5 else "kind_but_generic"]})


spec = os.environ.get("EMPATHY_GYM_LLM_BACKEND")
backend = backend_from_spec(spec) if spec else CallableBackend(stand_in_model)
print(f"model: {spec or 'the scripted stand-in'}")

env = gym.make("EmpathyGym/SupportLLM-v0", backend=backend, render_mode="ansi")
obs, info = env.reset(seed=3)
for reply in ("That sounds really hard. What happened?", "It makes sense that you feel this way.",
              "What part of it stays with you the most?"):
    obs, reward, terminated, truncated, info = env.step(reply)
    if terminated or truncated:
        break
print(env.render())
print(f"analysis this turn: {info['llm']['analysis']}; fallbacks so far: {info['llm_fallbacks']}")

# Four conversations at once: each phase of the four users' turns is one batched model call.
envs = gym.make_vec("EmpathyGym/SupportLLM-v0", num_envs=4, backend=backend)
obs, infos = envs.reset(seed=0)
obs, rewards, terminated, truncated, infos = envs.step(["What happened after that?"] * 4)
print("emotions after one batched step:", infos["emotion"].tolist())
envs.close()
