"""IVR configuration: typed model, YAML loader and validator."""

import os
from typing import TYPE_CHECKING, Any

from ivr.config.model import (
    Action,
    Company,
    Config,
    Menu,
    Operator,
    Prompts,
    Redirect,
    Role,
    Topic,
    WorkingHours,
)
from ivr.config.problems import ConfigError, Problem

if TYPE_CHECKING:
    from ivr.config.loader import load_config, validate_file


#: The configuration file when none is named: ``$IVR_CONFIG``, else this.
DEFAULT_CONFIG = "config.yaml"


def default_config_path() -> str:
    return os.environ.get("IVR_CONFIG") or DEFAULT_CONFIG


def __getattr__(name: str) -> Any:
    """The loader (PyYAML and the checks) is imported on first use: the engine and process
    AGI only need the model, and importing the loader costs tens of milliseconds."""
    if name in ("load_config", "validate_file"):
        from ivr.config import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_CONFIG",
    "default_config_path",
    "Action",
    "Company",
    "Config",
    "ConfigError",
    "Menu",
    "Operator",
    "Problem",
    "Prompts",
    "Redirect",
    "Role",
    "Topic",
    "WorkingHours",
    "load_config",
    "validate_file",
]
