"""The loyalty rules: pure functions over the neutral model and the programme settings (no I/O)."""
