"""Rate limits in the database and the bot guard of public forms."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory, override_settings

from egov.core import botguard, ratelimit
from egov.core.errors import ValidationFailed
from egov.core.models import RateCounter

pytestmark = pytest.mark.django_db


@override_settings(EGOV_RATE_LIMITS={"signup": (3, 3600)})
def test_rate_limit_refuses_the_hit_after_the_limit_and_says_when_to_retry():
    for _ in range(3):
        ratelimit.rate_limit_hit(scope="signup", key="10.0.0.1")
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.rate_limit_hit(scope="signup", key="10.0.0.1")
    assert refused.value.status == 429
    assert refused.value.code == "rate_limited"
    assert 0 < refused.value.retry_after <= 3600
    assert refused.value.details == {"retry_after": refused.value.retry_after}
    # Another client is not affected.
    ratelimit.rate_limit_hit(scope="signup", key="10.0.0.2")


@override_settings(EGOV_RATE_LIMITS={"otp": (2, 600)})
def test_rate_limit_check_does_not_count_and_refuses_once_full():
    ratelimit.rate_limit_check(scope="otp", key="k")
    ratelimit.rate_limit_check(scope="otp", key="k")
    assert RateCounter.objects.count() == 0
    ratelimit.rate_limit_hit(scope="otp", key="k")
    ratelimit.rate_limit_check(scope="otp", key="k")
    ratelimit.rate_limit_hit(scope="otp", key="k")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.rate_limit_check(scope="otp", key="k")
    assert list(RateCounter.objects.values_list("hits", flat=True)) == [2]


def test_rate_limit_keeps_only_a_digest_of_the_key():
    ratelimit.rate_limit_hit(scope="status_miss", key="0912345678")
    bucket = RateCounter.objects.get().bucket
    assert bucket.startswith("status_miss:")
    assert "0912345678" not in bucket


def test_rate_limit_unknown_scope_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown rate-limit scope"):
        ratelimit.rate_limit_hit(scope="nope", key="x")


def test_rate_limit_message_is_vietnamese_by_default(settings):
    from django.utils import translation

    settings.EGOV_RATE_LIMITS = {"submit": (0, 60)}
    with translation.override("vi"), pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.rate_limit_hit(scope="submit", key="x")
    assert "quá nhiều lần" in str(refused.value.message)


def test_request_key_joins_the_client_address_and_identifiers():
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.7")
    assert ratelimit.request_key(request, "0912345678") == "192.0.2.7|0912345678"


def _form(token: str, honeypot: str = "") -> dict[str, str]:
    return {botguard.TOKEN_FIELD: token, botguard.HONEYPOT_FIELD: honeypot}


@override_settings(EGOV_BOT_MIN_SECONDS=2)
def test_bot_check_accepts_a_person_and_refuses_a_fast_or_forged_or_honeypot_post():
    token = botguard.form_token(now=1_000.0)
    botguard.bot_check(_form(token), now=1_003.0)
    for data, now in [
        (_form(token), 1_001.0),  # too fast
        (_form(token, honeypot="http://spam"), 1_010.0),  # honeypot filled
        (_form(token + "x"), 1_010.0),  # forged token
        (_form(""), 1_010.0),  # no token
        (_form(token), 1_000.0 + botguard.MAX_AGE_SECONDS + 1),  # stale
    ]:
        with pytest.raises(ValidationFailed) as refused:
            botguard.bot_check(data, now=now)
        assert refused.value.code == "bot.suspected"


def test_botguard_include_renders_a_verifiable_token_and_an_empty_hidden_honeypot():
    html = Template('{% include "egov/includes/botguard.html" %}').render(Context({}))
    assert 'name="website"' in html
    assert 'tabindex="-1"' in html
    token = html.split('name="form_started" value="', 1)[1].split('"', 1)[0]
    botguard.bot_check(_form(token))
