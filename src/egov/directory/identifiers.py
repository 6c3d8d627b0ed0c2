"""Checks of Vietnamese personal and business identifiers, phone numbers and e-mail.

Pure functions, no database: the services call them and tests drive them directly.

- Personal identification number (số định danh cá nhân, printed on the CCCD / căn cước card):
  12 digits (Law on Identification 2023, Art. 12). The first three are the code of the
  province where the birth was registered (Circular 07/2016/TT-BCA Annex I, carried into
  Circular 59/2021/TT-BCA: 63 codes 001…096); the fourth encodes century and sex (0/1 for
  1900–1999, 2/3 for 2000–2099, higher digits for later centuries); the next two the year of
  birth. Decree 137/2015 also allows a *country* code for births registered abroad and those
  codes are not published, so the province check can be switched off with the setting
  `EGOV_NATIONAL_ID_PROVINCE_CHECK = False` (default on). The merged provinces of 2025 kept
  codes from this list, so new births still carry one of them.
- Tax code (mã số thuế) of a business: 10 digits, or 13 for a branch written `0123456789-001`.
  The tenth digit is a check digit: weights 31, 29, 23, 19, 17, 13, 7, 5, 3 on the first nine,
  check = 10 − (sum mod 11); a sum ≡ 0 (mod 11) gives no valid digit. Digits 3–9 are a
  sequence from 0000001, and a branch suffix is 001–999. (Algorithm cross-checked against
  python-stdnum's `stdnum.vn.mst`, whose examples 0100233488 and 0314409058-002 pass.)
- Mobile phone: the ten-digit national numbering since 2018: `0` + `3|5|7|8|9` + 8 digits;
  `+84…` and `84…` are accepted as input and written in the national form.
"""

from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# Circular 07/2016/TT-BCA, Annex I: code of the province where the birth was registered.
BIRTH_PROVINCE_CODES = frozenset(
    {
        "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019",
        "020", "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036",
        "037", "038", "040", "042", "044", "045", "046", "048", "049", "051", "052", "054",
        "056", "058", "060", "062", "064", "066", "067", "068", "070", "072", "074", "075",
        "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093",
        "094", "095", "096",
    }
)  # fmt: skip

_NATIONAL_ID = re.compile(r"^[0-9]{12}$")
_TAX_CODE = re.compile(r"^([0-9]{10})(?:-?([0-9]{3}))?$")
_MOBILE = re.compile(r"^0[35789][0-9]{8}$")
_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def normalize_digits(value: str) -> str:
    """Drop the spaces, dots and dashes people type inside numbers."""
    return re.sub(r"[\s.\-]", "", value or "")


def national_id_is_valid(value: str, *, today: date | None = None) -> bool:
    """True for a plausible 12-digit personal identification number (see module docstring)."""
    if not _NATIONAL_ID.match(value):
        return False
    if getattr(settings, "EGOV_NATIONAL_ID_PROVINCE_CHECK", True) and (
        value[:3] not in BIRTH_PROVINCE_CODES
    ):
        return False
    century_digit = int(value[3])
    birth_year = 1900 + 100 * (century_digit // 2) + int(value[4:6])
    today = today or date.today()  # noqa: DTZ011 - a calendar year, no instant involved
    return birth_year <= today.year


def tax_check_digit(first_nine: str) -> int | None:
    """The check digit of a tax code's first nine digits, or None when no digit fits."""
    total = sum(w * int(d) for w, d in zip(_TAX_WEIGHTS, first_nine, strict=True))
    check = 10 - total % 11
    return check if check < 10 else None


def normalize_tax_code(value: str) -> str | None:
    """The tax code written `0123456789` or `0123456789-001`, or None when it is not valid."""
    compact = re.sub(r"[\s.]", "", value or "")
    match = _TAX_CODE.match(compact)
    if not match:
        return None
    main, branch = match.group(1), match.group(2)
    if main[2:9] == "0000000" or branch == "000":
        return None
    if tax_check_digit(main[:9]) != int(main[9]):
        return None
    return f"{main}-{branch}" if branch else main


def normalize_mobile(value: str) -> str | None:
    """A Vietnamese mobile number in national form (`0912345678`), or None."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if _MOBILE.match(digits) else None


def email_is_valid(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
