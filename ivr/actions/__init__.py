"""Menu actions: one module per kind, each with its typed dataclass, its parser (the option's
keys in ``config.yaml``) and its handler (what the call does). ``ivr.actions.registry`` lists
them; adding an action is one module plus one line there.

This ``__init__`` imports nothing, so that the configuration model can import
``ivr.actions.base`` without loading the handlers."""
