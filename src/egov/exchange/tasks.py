"""Background jobs of the exchange (django-tasks; run by `egov worker`).

Tasks receive ids and are idempotent: the outbox row is claimed with a conditional UPDATE, so a
message sent or being sent is left alone. `egov exchange deliver` drains the same outbox for
cron, systemd timers and tests; either path is safe beside the other.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from egov.exchange.models import OutboxMessage
from egov.exchange.services import outbox_send


@task()
def deliver_outbox_message(message_id: int) -> str:
    """Send one outbox message; on a transient failure enqueue the next attempt at the time
    the back-off chose (the drain command would pick it up too)."""
    outcome = outbox_send(pk=message_id)
    if outcome == "retry":
        row = OutboxMessage.objects.filter(pk=message_id).values("next_attempt_at").first()
        if row is not None:
            backend = deliver_outbox_message.get_backend()
            later = (
                deliver_outbox_message.using(run_after=row["next_attempt_at"])
                if backend.supports_defer
                else deliver_outbox_message
            )
            transaction.on_commit(lambda: later.enqueue(message_id))
    return outcome
