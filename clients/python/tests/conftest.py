"""The SDK's tests run against a live server: BOXOFFICE_URL (scripts/sdk-test.sh starts one)."""

from __future__ import annotations

import os
import uuid

import pytest

from boxoffice_client import ApiClient, AuthApi, Configuration, EventsApi, Login, SeatsApi, Signup

PROVIDER = ("provider@boxoffice.local", "demo-provider-password")


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("BOXOFFICE_URL")
    if not url:
        pytest.fail("set BOXOFFICE_URL to a running boxoffice (scripts/sdk-test.sh does)")
    return url


@pytest.fixture(scope="session")
def make_client(base_url):
    def make(access_token: str | None = None) -> ApiClient:
        return ApiClient(Configuration(host=base_url, access_token=access_token))

    return make


@pytest.fixture(scope="session")
def anonymous(make_client) -> ApiClient:
    return make_client()


@pytest.fixture()
def customer(make_client) -> ApiClient:
    """A client signed in as a new customer."""
    tokens = AuthApi(make_client()).signup(
        Signup(email=f"pytest.{uuid.uuid4().hex[:10]}@example.com", password="pytest-password-1")
    )
    return make_client(tokens.access_token)


@pytest.fixture(scope="session")
def provider(make_client) -> ApiClient:
    tokens = AuthApi(make_client()).login(Login(email=PROVIDER[0], password=PROVIDER[1]))
    return make_client(tokens.access_token)


@pytest.fixture(scope="session")
def seated_show(anonymous):
    """The first seated show of the demo catalogue."""
    events = EventsApi(anonymous).list_events().items
    return next(
        s for e in events for s in EventsApi(anonymous).get_event(e.id).shows if s.kind == "seated"
    )


@pytest.fixture()
def free_seats(anonymous, seated_show):
    def take(count: int) -> list[int]:
        seats = SeatsApi(anonymous).get_seat_map(seated_show.id).items
        free = [s.id for s in seats if s.status == "available" and s.price is not None]
        assert len(free) >= count, "the demo show ran out of seats"
        return free[:count]

    return take
