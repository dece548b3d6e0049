"""Vendor packages, one per platform, found through registry.get(name)."""
