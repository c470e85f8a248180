"""Prompt experiments."""
