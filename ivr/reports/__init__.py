"""Supervisors' reports: calls, appeals, outcomes, durations and the Resolution 375 indicators."""
