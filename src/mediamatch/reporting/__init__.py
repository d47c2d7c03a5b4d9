"""Acting on matches: webhooks, feedback on matches, usage reports (and NCMEC reports)."""
