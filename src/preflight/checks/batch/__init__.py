"""Batch CSV checks (PF1xx): the file, its header, its rows and their values."""
