"""The official slips of the one-stop-shop (Circular 01/2018/TT-VPCP forms 01–06) as PDF.

`layout` draws the page the way Decree 30/2020 sets administrative papers; one module per form
turns a dossier and the event the slip is issued for into PDF bytes. Storing them once and
serving the stored file is `egov.dossiers.slip_services`' work.
"""

from __future__ import annotations

from collections.abc import Callable

from egov.dossiers.slips import apology, control, receipt, refusal, supplement
from egov.dossiers.slips.base import SlipInput

RENDERERS: dict[str, Callable[[SlipInput], bytes]] = {
    "01": receipt.render,
    "02": supplement.render,
    "03": refusal.render,
    "04": apology.render,
    "05": control.render,
}

# The events of the hand-over log each form may be issued for; None: any event (the control
# slip shows the log up to it).
SOURCE_ACTIONS: dict[str, frozenset[str] | None] = {
    "01": frozenset({"receive", "resubmit"}),
    "02": frozenset({"request_supplement"}),
    "03": frozenset({"refuse"}),
    "04": frozenset({"apologize"}),
    "05": None,
}


def render_slip(slip: SlipInput, form: str) -> bytes:
    return RENDERERS[form](slip)
