"""After delivery, as events settle: surveys falling due and answered, care items opened."""
