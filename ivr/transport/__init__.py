"""Transports: process AGI, the FastAGI server, and what they share (the call runner, the
configuration provider)."""
