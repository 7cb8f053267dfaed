"""End-to-end tests under a real Asterisk."""
