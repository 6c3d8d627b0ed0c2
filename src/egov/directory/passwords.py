"""Password rules beyond Django's: letters and digits at least."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """Require at least one letter and one digit (common rule in provincial IT security policy)."""

    def validate(self, password: str, user: Any = None) -> None:
        if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
            raise ValidationError(
                _("The password must contain both letters and digits."),
                code="password_character_classes",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain both letters and digits.")
