"""Extractors: what turns one table chunk into the output contract (docs/contract.md)."""
