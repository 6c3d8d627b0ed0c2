"""Tables of the exchange outbox, inbox and peers (filled by the exchange transport task)."""
