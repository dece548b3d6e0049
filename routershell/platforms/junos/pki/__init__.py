"""Junos public-key infrastructure: `[edit security pki]` and `request|show|clear security pki`."""
