"""Acting on matches: CyberTipline reports to NCMEC and their lifecycle."""
