"""What every slip reads from a dossier: the words the forms use for states, steps and people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from django.conf import settings

from egov.directory.models import Officer, Organization
from egov.dossiers import deadlines
from egov.dossiers.models import Dossier, DossierEvent
from egov.dossiers.slips.formsets import FormSet
from egov.procedures.models import Channel, TimeUnit

TIMELINESS: dict[str, str] = {
    deadlines.EARLY: "Trước hạn",
    deadlines.ON_TIME: "Đúng hạn",
    deadlines.LATE: "Quá hạn",
    deadlines.OVERDUE: "Quá hạn",
}
TIME_UNITS: dict[str, str] = {
    TimeUnit.WORKING_DAYS: "ngày làm việc",
    TimeUnit.DAYS: "ngày",
    TimeUnit.HOURS: "giờ làm việc",
    TimeUnit.WITHIN_DAY: "trong ngày",
}
CHANNELS: dict[str, str] = {
    Channel.COUNTER: "Trực tiếp tại Bộ phận Tiếp nhận và Trả kết quả",
    Channel.ONLINE: "Trực tuyến",
    Channel.POST: "Qua dịch vụ bưu chính công ích",
}
DELIVERIES = {
    "counter": "Tại Bộ phận Tiếp nhận và Trả kết quả",
    "post": "Qua dịch vụ bưu chính công ích",
    "online": "Trực tuyến (bản điện tử)",
}
STATES = {
    "submitted": "Chờ kiểm tra hồ sơ",
    "supplement_requested": "Yêu cầu bổ sung hồ sơ",
    "refused": "Từ chối tiếp nhận",
    "accepted": "Đã tiếp nhận",
    "in_process": "Đang giải quyết",
    "approved": "Đã có kết quả",
    "denied": "Không chấp thuận (có văn bản trả lời)",
    "returned": "Đã trả kết quả",
    "withdrawn": "Rút hồ sơ",
    "cancelled": "Dừng giải quyết",
}


@dataclass(frozen=True)
class SlipInput:
    """One slip to draw: the dossier (with its relations loaded), the event it is issued for
    and the form set in force."""

    dossier: Dossier
    source: DossierEvent
    form_set: FormSet

    @property
    def at(self) -> datetime:
        return self.source.at


def status_url(dossier: Dossier) -> str:
    """The public status page of the dossier, which the receipt's QR code opens."""
    base = str(settings.EGOV_PUBLIC_URL)
    return f"{base.rstrip('/')}/tra-cuu-ho-so/{quote(dossier.code, safe='')}/"


def person(officer: Officer | None) -> str:
    return officer.full_name if officer is not None else ""


def unit_and_person(unit: Organization | None, officer: Officer | None) -> str:
    parts = [p for p in (unit.name_vi if unit else "", person(officer)) if p]
    return " – ".join(parts)


def applicant_label(dossier: Dossier) -> str:
    return f"Ông/Bà {dossier.applicant_name}"


def processing_time(dossier: Dossier) -> str:
    for offered in dossier.procedure_version.channels.all():
        if offered.channel == dossier.channel:
            unit = TIME_UNITS.get(offered.time_unit, offered.time_unit)
            if offered.time_unit == TimeUnit.WITHIN_DAY:
                return unit
            value = offered.time_value
            shown = f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value}"
            return f"{shown} {unit}"
    return ""


def result_channel(dossier: Dossier) -> str:
    if dossier.delivery:
        return DELIVERIES.get(dossier.delivery, dossier.delivery)
    if dossier.channel == Channel.ONLINE:
        return DELIVERIES["online"]
    if dossier.channel == Channel.POST:
        return DELIVERIES["post"]
    return DELIVERIES["counter"]
