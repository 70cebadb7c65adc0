"""Checks, one module per rule family, in one folder per area (auto-discovered)."""
