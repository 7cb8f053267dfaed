"""IVR configuration: typed model, YAML loader and validator."""

from ivr.config.loader import load_config, validate_file
from ivr.config.model import (
    TOPIC_REQUIRED,
    Action,
    ActionKind,
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

__all__ = [
    "TOPIC_REQUIRED",
    "Action",
    "ActionKind",
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
