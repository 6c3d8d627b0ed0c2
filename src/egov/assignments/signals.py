"""Signals for the apps above (documents, meetings) that give work from their own objects.

`assignment_state_changed` is sent after the transaction that changed an assignment's state
commits (complete, reopen, cancel, and the first progress report), with keyword arguments
`assignment_id`, `state`, `previous_state`, `source_type` and `source_id`. A receiver in the
upper app (connected in its AppConfig.ready) may mirror it on the source, through its own
services; it must not assume the order of other receivers.
"""

from __future__ import annotations

from django.dispatch import Signal

assignment_state_changed = Signal()
