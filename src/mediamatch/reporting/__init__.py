"""Acting on matches: CyberTipline reports to NCMEC and their lifecycle, signed webhooks,
feedback on matches, and usage reports."""
