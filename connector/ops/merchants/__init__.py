"""The merchants of each shop: who may act on it and with which role (people), how they sign in (sign_in),
and what they changed (audit)."""
