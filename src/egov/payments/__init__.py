"""Fee payments: gateway adapters, callbacks, reconciliation."""
