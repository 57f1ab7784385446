"""A local Ray cluster for one test module, leaving nothing behind outside its temporary folder.

Ray 2.60 writes an auth token to ``~/.ray/auth_token`` when it starts a local cluster with token
authentication (its default), and RLlib's algorithms make folders under ``~/ray_results``. Here the
token is written to the temporary folder and named by ``RAY_AUTH_TOKEN_PATH`` (``RAY_AUTH_MODE=
token`` keeps authentication on), Ray's session files go there too (``_temp_dir``), and tests pass
``storage_path`` inside it. On shutdown the folder is removed and the home folder is checked.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOME_PATHS = (".ray", "ray_results")


def _home_state() -> dict[str, list[str] | None]:
    home = Path.home()
    return {name: sorted(os.listdir(home / name)) if (home / name).is_dir() else None for name in _HOME_PATHS}


@contextmanager
def local_ray(num_cpus: int = 2) -> Iterator[dict[str, str]]:
    """Start a local Ray with ``num_cpus`` CPUs; yield its address, temporary folder and the env to join it."""
    import ray

    before = _home_state()
    # A short path: Ray's unix sockets live under it and must stay below the OS's path length limit.
    folder = tempfile.mkdtemp(prefix="egray-")
    token = Path(folder) / "auth_token"
    token.write_text(secrets.token_hex(16), encoding="utf-8")
    env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    # Ray reads RAY_AUTH_MODE into its cached config when it is imported, and caches the token once
    # loaded (an earlier module's cluster had another one): read both again now.
    from ray._raylet import AuthenticationTokenLoader, Config

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()
    try:
        context = ray.init(num_cpus=num_cpus, _temp_dir=str(Path(folder) / "ray"), include_dashboard=False,
                           log_to_driver=False)
        try:
            yield {"address": context.address_info["gcs_address"], "folder": folder, **env}
        finally:
            ray.shutdown()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(folder, ignore_errors=True)
    after = _home_state()
    assert after == before, f"the Ray tests wrote under the home folder: {before} -> {after}"
