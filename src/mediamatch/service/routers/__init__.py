"""Thin route groups: each parses the request, calls the engine through ``work``, shapes the reply."""
