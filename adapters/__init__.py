"""Thin platform front ends (Slack, Discord) over the core in `bot`."""
