"""Tables of fee payments (filled by the payments task)."""
