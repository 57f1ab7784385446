"""Talk to a simulated user in free text, then let a strategy agent try; print both transcripts."""

import gymnasium as gym

import empathy_gym  # noqa: F401  (registers the EmpathyGym/ ids)

# Text actions: the reply is any string.
env = gym.make("EmpathyGym/Support-v0", difficulty="challenging", render_mode="ansi")
obs, info = env.reset(seed=7)
print("User:", obs["text"], f"(emotion {obs['emotion'][0]:.0f})")
for reply in ["That sounds exhausting. What happened next?",
              "It makes sense that you feel this way; anyone would.",
              "What would help you most right now?"]:
    obs, reward, terminated, truncated, info = env.step(reply)
    print(f"-> emotion {info['emotion']} ({info['delta']:+d}), thinks: {info['inner_thought']}")
    if terminated or truncated:
        break
print(env.render())

# Strategy actions: Discrete(15), rendered to natural replies from templates.
env = gym.make("EmpathyGym/SupportStrategy-v0", difficulty={"strictness": 0.9, "reticence": 0.2})
obs, info = env.reset(seed=7)
total = 0.0
while True:
    action = env.action_space.sample()
    obs, reward, terminated, truncated, info = env.step(action)
    total += reward
    if terminated or truncated:
        break
print(f"random strategies: final emotion {info['final_emotion']} ({info['reason']}), return {total:+.2f};"
      f" the hidden intention was {info['hidden_intention']}")
