"""What a store's customers (and the store's own server on their behalf) reach: balances and redeeming
(storefront), survey answers and unsubscribing (surveys), a friend's referral page (referrals), actions
other apps report (actions), and those pages' words (texts)."""
