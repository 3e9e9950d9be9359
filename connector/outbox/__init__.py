"""What Sadakat owes stores and customers: outbox pushes, their tokens, e-mail and notices."""
