"""The user's config file: corpus folders, theme, store path, sort order and script.

The file is TOML in ``locations.config_file()``, read with ``tomllib``. The file is the
user's: when the app saves a setting (theme, sort order, script), only the keys whose
value changed are edited, in place, with ``tomlkit``; comments, other keys and their
layout stay as written, and a file that is not valid TOML is never overwritten. A
broken file never stops the app: the defaults are used and the caller shows the
one-sentence notice that :func:`load_config` returns.

Precedence, highest first: command-line arguments, environment (``POSTIL_CORPUS``,
``POSTIL_STORE``), the config file, the built-in defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, get_args

from tui import locations
from tui.render.script import SCRIPTS, Script

SortOrder = Literal["newest", "oldest", "title", "author"]
"""The orders the post list can be sorted in."""

SORT_ORDERS: tuple[SortOrder, ...] = get_args(SortOrder)
"""Every sort order, in the order the palette lists them."""


@dataclass(frozen=True, slots=True)
class Config:
    """The settings read from the config file (all optional there)."""

    corpus: tuple[str, ...] = ()
    """Corpus folders to open when no path is given on the command line."""
    theme: str | None = None
    """The Textual theme name last chosen; None means Textual's default."""
    store: str | None = None
    """The annotation store file; None means the data folder's ``annotations.json``."""
    sort: SortOrder = "newest"
    """The post list's sort order."""
    script: Script | None = None
    """Show Chinese in simplified or traditional characters; None: as each file has it."""
    unknown: tuple[str, ...] = field(default=(), compare=False)
    """Keys found in the file that postil does not know (kept out of the notice's way)."""


def load_config(path: Path | None = None) -> tuple[Config, str | None]:
    """Read the config file.

    Args:
        path: The file to read; defaults to ``locations.config_file()``.

    Returns:
        The config (defaults when the file is missing or broken) and a one-sentence
        notice for the user when something in the file could not be used, else None.
    """
    path = path or locations.config_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(), None
    except OSError as error:
        return (
            Config(),
            f"Could not read the config file {path} ({error.strerror}); using defaults.",
        )
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return Config(), f"The config file {path} is not valid TOML ({error}); using defaults."
    return _from_mapping(data, path)


def _from_mapping(data: dict[str, object], path: Path) -> tuple[Config, str | None]:
    """Build a Config from parsed TOML, collecting the values that cannot be used."""
    bad: list[str] = []
    config = Config(
        unknown=tuple(sorted(set(data) - {"corpus", "theme", "store", "sort", "script"}))
    )
    corpus = data.get("corpus")
    if isinstance(corpus, str):
        corpus = [corpus]
    if isinstance(corpus, list) and all(isinstance(item, str) for item in corpus):
        config = replace(config, corpus=tuple(str(item) for item in corpus))
    elif corpus is not None:
        bad.append("corpus")
    theme, store = data.get("theme"), data.get("store")
    if isinstance(theme, str) and theme:
        config = replace(config, theme=theme)
    elif theme is not None:
        bad.append("theme")
    if isinstance(store, str) and store:
        config = replace(config, store=store)
    elif store is not None:
        bad.append("store")
    sort = data.get("sort")
    if sort in SORT_ORDERS:
        config = replace(config, sort=sort)
    elif sort is not None:
        bad.append("sort")
    script = data.get("script")
    if script in SCRIPTS:
        config = replace(config, script=script)
    elif script is not None:
        bad.append("script")
    if bad:
        keys = ", ".join(bad)
        return (
            config,
            f"The config file {path} has unusable values for {keys}; defaults used there.",
        )
    return config, None


NEW_FILE_HEADER = (
    "# postil settings: the app updates theme, sort and script here; the rest is yours\n"
)
"""The first line of a config file the app creates."""


def save_config(config: Config, path: Path | None = None) -> None:
    """Make the file's settings those of ``config``, editing only the keys that differ
    (written atomically: temporary file, fsync, rename); blocking: call from a thread.

    Args:
        config: The settings to write.
        path: The file to write; defaults to ``locations.config_file()``.

    Raises:
        OSError: When the folder or file cannot be written.
        ValueError: The file is not valid TOML (it is left as it is).
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    path = path or locations.config_file()
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        text = NEW_FILE_HEADER
    except UnicodeDecodeError:
        raise ValueError(f"the config file {path} is not UTF-8; it was left as it is") from None
    try:
        document = tomlkit.parse(text)
    except TOMLKitError:
        raise ValueError(
            f"the config file {path} is not valid TOML; it was left as it is"
        ) from None
    current, _ = _from_mapping(document.unwrap(), path)
    for key, value in _changed_values(current, config).items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    _write_atomically(path, tomlkit.dumps(document).encode("utf-8"))


def _changed_values(current: Config, wanted: Config) -> dict[str, str | list[str] | None]:
    """The keys to set (None: to remove) to turn ``current`` into ``wanted``; a default
    value is written as no key."""
    values: dict[str, str | list[str] | None] = {
        "corpus": list(wanted.corpus) or None,
        "theme": wanted.theme,
        "store": wanted.store,
        "sort": None if wanted.sort == "newest" else wanted.sort,
        "script": wanted.script,
    }
    return {
        key: value for key, value in values.items() if getattr(current, key) != getattr(wanted, key)
    }


def _write_atomically(path: Path, data: bytes) -> None:
    locations.ensure_private_dir(path.parent)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def resolve_corpus(cli_paths: Sequence[str | Path], config: Config) -> list[Path]:
    """The corpus folders: CLI paths, else ``POSTIL_CORPUS``, else config, else sample."""
    if cli_paths:
        return [Path(p).expanduser() for p in cli_paths]
    if os.environ.get("POSTIL_CORPUS"):
        return locations.default_corpus()
    if config.corpus:
        return [Path(p).expanduser() for p in config.corpus]
    return [locations.SAMPLE_POSTS]


def resolve_store(cli_store: str | Path | None, config: Config) -> Path:
    """The store file: ``--store``, else ``POSTIL_STORE``, else config, else the data folder's."""
    if cli_store or os.environ.get("POSTIL_STORE") or not config.store:
        return locations.store_path(cli_store)
    return Path(config.store).expanduser()
