"""Bringing members over from another loyalty app: reading its export, and importing it."""
