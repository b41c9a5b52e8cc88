"""The ``--agents`` spec parser: ``LABEL=PATH``, ``LABEL=GLOB``, ``NAME``, ``NAME:key=value,...``, and the
zoo's pretrained agents, ``[LABEL=]zoo:<algo>/<env id>[/<seed>]`` (:mod:`agents.zoo`)."""

from __future__ import annotations

import glob
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.common.cli import parse_value
from agents.common.errors import HOME as CONFIG_ERROR_HOME
from agents.common.errors import ConfigError
from agents.common.files import natural_key
from agents.registry import get_agent_spec, list_agents
from agents.zoo import PREFIX as ZOO_PREFIX
from agents.zoo import is_zoo_spec, resolve
from ioa_gym.errors import moved_attribute_error

_MOVED = {"EvaluationConfigError": CONFIG_ERROR_HOME}


@dataclass(frozen=True)
class AgentRequest:
    """A parsed ``--agents`` entry.

    :param label: the name in tables and files.
    :param text: the entry as given.
    :param name: registry name of an agent built by name; None for saved models.
    :param kwargs: constructor arguments of an agent built by name.
    :param paths: run folders or model files (one per training run) of a saved agent.
    """

    label: str
    text: str
    name: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    paths: tuple[Path, ...] = ()


def _split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on ``separator`` outside brackets and quotes (``a=[1,2],b=3`` gives two items)."""
    items, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == separator and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return items


def _parse_named(label: str, text: str, spec_text: str) -> AgentRequest:
    """``NAME`` or ``NAME:key=value,...`` (a ``package.module:Class`` has no ``=`` after its colon)."""
    name, separator, arguments = spec_text.partition(":")
    if separator and "=" not in arguments and name.strip() in list_agents():
        # fixed-step:step, fixed-step:0.5 or fixed-step: (the '=' left out), not a package.module:Class
        raise ConfigError(
            f"--agents {text!r}: expected NAME:key=value,... (e.g. {name.strip()}:step=0.5), got "
            f"{arguments!r} after the colon"
        )
    if not separator or "=" not in arguments:
        name, arguments = spec_text, ""
    kwargs: dict[str, Any] = {}
    for item in _split_top_level(arguments) if arguments else []:
        key, equals, value = item.partition("=")
        if not equals or not key.strip().isidentifier():
            raise ConfigError(
                f"--agents {text!r}: expected NAME:key=value,... with identifier keys, got {item!r}"
            )
        kwargs[key.strip()] = parse_value(value.strip())
    try:
        get_agent_spec(name)
    except ConfigError as error:
        raise ConfigError(f"--agents {text!r}: {error}") from None
    return AgentRequest(label=label, text=text, name=name, kwargs=kwargs)


def _model_path_exists(path: Path) -> bool:
    return (
        path.exists()
        or path.with_name(path.name + ".zip").is_file()
        or path.with_name(path.name + ".json").is_file()
    )


def _parse_zoo(label: str, text: str, target: str) -> AgentRequest:
    """``zoo:<algo>/<env id>[/<seed>]``: the zoo's run folders, each checked against its manifest."""
    try:
        entries = resolve(target)
    except ConfigError as error:
        raise ConfigError(f"--agents {text!r}: {error}") from None
    return AgentRequest(label=label, text=text, paths=tuple(entry.path for entry in entries))


def zoo_label(target: str) -> str:
    """The label of an unlabelled zoo spec: ``zoo:ppo/IoA-DDA-v0/1`` gives ``ppo-IoA-DDA-v0-1``."""
    return target.strip()[len(ZOO_PREFIX) :].strip("/").replace("/", "-")


def parse_agent_spec(text: str) -> AgentRequest:
    """Parse one ``--agents`` entry (see the module docstring); raise ConfigError if it is bad.

    ``LABEL=TARGET`` when ``=`` comes before any ``:``; TARGET is a zoo spec (``zoo:...``), a glob (has
    ``*?[``), an existing path, or else a registry ``NAME[:key=value,...]``. Otherwise the entry is a zoo
    spec (labelled as :func:`zoo_label` says) or ``NAME[:key=value,...]``, labelled with the entry itself.
    """
    text = text.strip()
    if is_zoo_spec(text):
        return _parse_zoo(zoo_label(text), text, text)
    equals, colon = text.find("="), text.find(":")
    if equals == 0:
        example = f" (e.g. mine{text}), or the name alone" if text[1:].strip() else ""
        raise ConfigError(
            f"--agents {text!r}: empty label before '='; write LABEL=PATH or LABEL=NAME{example}"
        )
    if equals > 0 and (colon < 0 or equals < colon):
        label, target = text[:equals].strip(), text[equals + 1 :].strip()
        if not label or not target:
            raise ConfigError(f"--agents {text!r}: expected LABEL=PATH with a non-empty label and path")
        if is_zoo_spec(target):
            return _parse_zoo(label, text, target)
        name = target.partition(":")[0]
        registry = name in list_agents() and "/" not in target and not target.endswith((".zip", ".json"))
        # A registry agent's arguments may hold brackets (step=[0.4,0.1]): no glob then.
        if glob.has_magic(target) and not (registry and ":" in target):
            matches = sorted(glob.glob(target), key=natural_key)
            if not matches:
                raise ConfigError(f"--agents {label!r}: no run folder or model file matches {target!r}")
            return AgentRequest(label=label, text=text, paths=tuple(Path(match) for match in matches))
        if _model_path_exists(Path(target)):
            return AgentRequest(label=label, text=text, paths=(Path(target),))
        if registry:
            return _parse_named(label, text, target)
        raise ConfigError(
            f"--agents {label!r}: no such run folder or model file: {target} (nor is {name!r} an agent name; "
            f"valid names: {', '.join(list_agents())})"
        )
    if not text:
        raise ConfigError("--agents: empty agent spec")
    if ("/" in text or text.endswith((".zip", ".json"))) and _model_path_exists(Path(text)):
        raise ConfigError(
            f"--agents {text!r} is a path: give it a label, LABEL=PATH (and quote a glob of run folders so "
            "that the shell passes it unexpanded)"
        )
    return _parse_named(text, text, text)


def __getattr__(name: str) -> object:
    raise moved_attribute_error(__name__, name, _MOVED, "0.2.0")


__all__ = ["AgentRequest", "parse_agent_spec", "zoo_label"]
