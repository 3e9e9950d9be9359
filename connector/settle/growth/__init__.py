"""Earning beyond purchases: referrals (a friend's first order) and actions other apps report."""
