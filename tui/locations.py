"""Where postil keeps its files. Read at call time so environment and tests can override."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import platformdirs

APP_NAME = "postil"

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The folder that holds the ``tui`` package this process runs."""

SAMPLE_POSTS = PACKAGE_ROOT / "sample_posts"
"""The bundled archive, the corpus when nothing else is configured."""


def own_module_command(module: str, *args: str) -> list[str]:
    """The command line that runs ``python -m module args`` with the ``tui`` package this
    process runs, whatever folder it is started in.

    ``python -m`` looks for modules in the working folder first, so a folder holding
    another project's ``tui`` package would be imported instead. ``-P`` leaves the working
    folder out, and ``PYTHONPATH`` (through ``env``, so the line also suits a shell) puts
    this package's folder first.
    """
    path = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return ["env", f"PYTHONPATH={path}", sys.executable, "-P", "-m", module, *args]


def data_dir() -> Path:
    """The user data folder (created by the code that writes into it, mode 0700)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The user cache folder: the index lives here, never in the corpus."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The user config folder."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def runtime_dir() -> Path:
    """The user runtime folder (``$XDG_RUNTIME_DIR/postil``): ``postil serve``'s socket.

    platformdirs falls back to ``/run/user/UID`` or a ``runtime-UID`` folder in the
    temporary folder when ``XDG_RUNTIME_DIR`` is unset or unsafe, and warns; the caller
    creates the folder (mode 0700) and checks it.

    Raises:
        OSError: platformdirs found the fallback folder unsafe (another user's).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_runtime_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    """The config file (TOML)."""
    return config_dir() / "config.toml"


def store_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The annotation store: ``--store``, else ``POSTIL_STORE``, else the data folder's."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("POSTIL_STORE")
    if env:
        return Path(env).expanduser()
    return data_dir() / "annotations.json"


def default_corpus() -> list[Path]:
    """``POSTIL_CORPUS`` (paths joined with ``:``), else the bundled sample_posts/."""
    env = os.environ.get("POSTIL_CORPUS")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [SAMPLE_POSTS]


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 if missing; return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
