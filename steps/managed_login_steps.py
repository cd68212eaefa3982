"""The managed login (hosted UI) and the verification pages, in a real browser."""

import re

import pytest
from pytest_bdd import given, parsers, then, when

from cognito_harness import prerequisites
from cognito_harness.authenticator import Authenticator
from cognito_harness.lockout import account_for_wrong_password, probe_password
from cognito_harness.browser_flows import Journey


@pytest.fixture(scope="session")
def callback_site(target):
    """A real pool: the verification pages served by the harness — at the client's callback
    URL when that is on this machine, else on a free local port (the in-app page needs no
    registered URL; the harness itself is then the managed login's callback)."""
    if target.is_embedded:
        yield None
        return
    from cognito_harness.callback_site import CallbackSite

    site = CallbackSite(target)
    yield site
    site.stop()


@pytest.fixture
def journey(page, world, login_style, callback_site):
    in_app = callback_site.page_url("auth-and-token-verify.html") if callback_site else None
    return Journey(page, world.target, in_app_url=in_app)


@when(parsers.parse('"{persona}" signs in through the managed login'))
def signs_in_through_managed_login(journey, world, persona):
    """Opens the managed login from the hosted-ui-verify page and submits the persona's email and password."""
    journey.sign_in(world.persona(persona).email, world.password(persona))


@when(parsers.parse('"{persona}" signs in through the managed login with a wrong password'))
def managed_login_wrong_password(journey, world, persona):
    """Opens the managed login and submits a wrong password: the persona's email on the embedded pool, on a real pool never a person's account (cognito_harness/lockout.py)."""
    email = account_for_wrong_password(world.target, world.persona(persona), world.config.pool.password_policy)
    journey.sign_in(email, "Wrong-" + probe_password(world.config.pool.password_policy))


@given(parsers.parse('"{persona}" has been asked for the authenticator code by the managed login'))
def asked_for_code(journey, world, persona):
    """Establishes the managed login's code page for the persona: enrols the persona first if the scenario has not, then signs in through the managed login with email and password."""
    prerequisites.enrolled(world, persona)
    signs_in_through_managed_login(journey, world, persona)
    assert journey.code_page().is_shown(), "the managed login did not ask for the authenticator code"


@when(parsers.parse('"{persona}" enters the authenticator\'s code'))
def enters_code(journey, world, persona):
    """Types the authenticator's current (not yet used) code into the managed login's code page."""
    journey.code_page().enter(world.authenticators[persona].fresh_code())


@when(parsers.parse('"{persona}" enters a wrong code'))
def enters_wrong_code(journey, world, persona):
    """Types a 6-digit code that is not the authenticator's into the managed login's code page."""
    right = world.authenticators[persona].code_now()
    journey.code_page().enter(f"{(int(right) + 3) % 1_000_000:06d}")


@when(parsers.parse('"{persona}" registers the secret shown on the set-up page and enters its code'))
def sets_up_from_page(journey, world, persona):
    """Reads the secret the managed login's set-up page shows, registers it in an authenticator app and enters its code."""
    setup = journey.setup_page()
    assert setup.is_shown(), "the managed login did not show the authenticator set-up page"
    app = Authenticator(setup.secret(), world.persona(persona).email, world.config.authenticator.issuer,
                        world.target.clock)
    world.authenticators[persona] = app
    setup.enter(app.fresh_code())


@then(parsers.parse('the callback page shows "{persona}" signed in'))
def callback_shows(journey, world, persona):
    """The callback page exchanged the code and shows an ID token for the persona, issued to the app client."""
    claims = journey.signed_in_claims()
    assert claims["email"] == world.persona(persona).email and claims["token_use"] == "id"
    assert claims["aud"] == world.target.client_id


@then("the managed login did not ask for a code")
def managed_login_did_not_ask(journey):
    """After email and password the managed login sent the browser straight back to the callback, without its code page."""
    assert not journey.asked_for_code(), "the managed login asked for the authenticator code"


@then("no authenticator code was asked for")
def no_code_asked(journey):
    """The code page is not showing and the callback exchanged exactly one authorization code."""
    assert not journey.code_page().code.is_visible()
    assert len(journey.token_requests) == 1, "the callback exchanged exactly one code"


@then("the sign-in was protected with PKCE and state")
def pkce_and_state(journey):
    """The authorize request carried an S256 code challenge and a state; the code exchange sent the verifier."""
    sent = journey.authorize_queries[0]
    assert sent.get("code_challenge_method") == "S256" and len(sent.get("code_challenge", "")) == 43
    assert len(sent.get("state", "")) >= 16
    exchanged = journey.token_requests[-1]
    assert exchanged["grant_type"] == "authorization_code" and len(exchanged.get("code_verifier", "")) >= 43


@then(parsers.parse('the managed login shows "{message}"'))
def managed_login_shows(journey, message):
    """The managed login shows exactly this message, and no code was exchanged."""
    shown = journey.login_page().error_text() or journey.code_page().error_text()
    assert shown == message, f"the page shows {shown!r}"
    assert not journey.token_requests, "nothing may be exchanged after an error"


@then("the managed login asks for the code from an authenticator app")
@then("the managed login still asks for the authenticator code")
def still_asks(journey):
    """The managed login shows its code page, titled for an authenticator app."""
    code_page = journey.code_page()
    assert code_page.is_shown(), "no authenticator code page"
    assert re.search("authenticator app", code_page.title(), re.I), code_page.title()


@given("the callback page has started a sign-in through the managed login")
def callback_started(journey):
    """Establishes a sign-in the callback page started: the hosted-ui-verify page sent the browser to the managed login with its own state and PKCE pair."""
    journey.start_managed_login()


@when("a sign-in response with another state arrives at the callback")
def forged_response(journey):
    """A response with a code and a state the callback page did not send arrives at the callback URL."""
    journey.forge_callback()


@then("the callback page refuses the response as not its own")
def callback_refuses(journey):
    """The callback page shows its state-mismatch refusal."""
    assert "State mismatch" in journey.refusal()


@then("no code was exchanged for tokens")
def nothing_exchanged(journey):
    """No authorization code was sent to /oauth2/token."""
    assert journey.token_requests == []


@when(parsers.parse('"{persona}" signs in on the in-app page and answers the prompt with the authenticator\'s code'))
def in_app_sign_in(journey, world, persona):
    """The narrative's in-app page: email and password, then the authenticator's code typed into the page's prompt."""
    world.extra["in_app"] = journey.in_app_sign_in(world.persona(persona).email, world.password(persona),
                                                   world.authenticators[persona].fresh_code())


@then(parsers.parse('the in-app page shows "{persona}" signed in'))
def in_app_shows(world, persona):
    """The in-app page shows the persona signed in."""
    page = world.extra["in_app"]
    assert page.wait_until_signed_in() == f"Signed in as {world.persona(persona).email}"


@then("the in-app page asked for the 6-digit code once")
def asked_once(world):
    """The in-app page's prompt asked for the 6-digit code exactly once."""
    prompts = world.extra["in_app"].prompts
    assert len(prompts) == 1 and "6-digit" in prompts[0], prompts
