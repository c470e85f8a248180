"""Checking an API key as it is entered: one cheap authenticated call (listing the profiles).

A wrong key is refused at once, in words, instead of at the first paid run; an API that cannot
be reached is named as such ("no network"), so the two are never confused. Nothing here holds
or shows the key.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from phota_widgets.api.client import AsyncPhotaClient
from phota_widgets.api.errors import (
    AuthenticationError,
    ConnectionError,
    PaymentRequiredError,
    PhotaError,
    RequestTimeoutError,
)
from phota_widgets.api.models import ProfileSummary

KEY_CHECK_TIMEOUT = 10.0
"""Seconds the key check waits for an answer (it runs while the user waits)."""


class KeyRefusedError(AuthenticationError):
    """The API refused the key when it was checked (nothing was switched, nothing spent)."""


class NoNetworkError(ConnectionError):
    """The API could not be reached to check the key (nothing was switched)."""


async def check_key(client: AsyncPhotaClient) -> list[ProfileSummary]:
    """List the account's profiles with ``client``: proof the key works, and the new list.

    Args:
        client: a client holding the key to check (its retries are skipped: one call).

    Returns:
        The account's profiles.

    Raises:
        KeyRefusedError: the API answered 401/403.
        NoNetworkError: the API could not be reached or did not answer in time.
        PhotaError: any other failure, as the client raised it.
    """
    quick = client.with_options(timeout=KEY_CHECK_TIMEOUT, max_retries=0)
    where = _host(client.base_url)
    try:
        profiles = await quick.profiles.list()
        client.known_profile_ids = frozenset(p.profile_id for p in profiles)
        return profiles
    except AuthenticationError as exc:
        raise KeyRefusedError(
            f"{where} refused this API key (HTTP {exc.status_code}): check that it was copied "
            "whole and paste it again. The session was not switched.",
            status_code=exc.status_code,
            request_id=exc.request_id,
            detail=exc.detail,
            code=exc.code,
        ) from None
    except (ConnectionError, RequestTimeoutError) as exc:
        raise NoNetworkError(
            f"no network: {where} could not be reached to check the key ({_reason(exc)}). "
            "The session was not switched; try again when this machine is online."
        ) from None
    except PaymentRequiredError:
        return []  # the key is good; the account is out of credit (said at the first run)
    except PhotaError:
        raise


def _host(base_url: str) -> str:
    """The API's host, as a person would name it."""
    parts = urlsplit(base_url)
    return parts.netloc or base_url


def _reason(exc: PhotaError) -> str:
    if isinstance(exc, RequestTimeoutError):
        return f"no answer within {KEY_CHECK_TIMEOUT:.0f} s"
    return "the connection could not be opened"
