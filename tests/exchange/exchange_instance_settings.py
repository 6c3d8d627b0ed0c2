"""Settings of one platform instance in the two-installation tests: the project's settings,
the exchange endpoints mounted, quick retries."""

from egov.settings import *  # noqa: F403

ROOT_URLCONF = "exchange_test_urls"
EGOV_EXCHANGE_RETRY_BASE_SECONDS = 1
EGOV_EXCHANGE_RETRY_MAX_SECONDS = 2
EGOV_EXCHANGE_TIMEOUT_SECONDS = 10
