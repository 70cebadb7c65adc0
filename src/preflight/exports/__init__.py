"""Files preflight writes when asked (it never changes the directory itself)."""
