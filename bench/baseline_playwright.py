"""The baseline for a browser scenario: the same journey over the same pages, written as a
bare Playwright script (no pytest, no page objects, no harness fixtures), against an
embedded pool served the way the specs get theirs (`EmbeddedServer`, same scenarios.yaml).

Journeys, each in both looks of the managed login (the names of the scenarios they match):
- "An existing user signs in through the managed login without a code": hosted-ui-verify
  page → managed login → email + password → back on the callback, "Signed in as".
- "The authenticator's code completes the sign-in through the managed login": the MFA user
  enrolled over the API (boto3 + pyotp), then the same journey through the code page.
- "A wrong password shows Cognito's message on the managed login".

What a journey needs is timed with it, as in the scenario (the pool's MFA set to OPTIONAL, the
look, the MFA user's enrolment); a fresh browser context and page per journey, as
pytest-playwright gives each test. Only putting the pool back between journeys
(POST /_harness/reset) is not timed.

    .venv/bin/python bench/baseline_playwright.py [--runs 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import boto3
import pyotp
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from baseline_boto3 import control  # noqa: E402

JOURNEYS = {
    "existing user": "An existing user signs in through the managed login without a code",
    "authenticator code": "The authenticator's code completes the sign-in through the managed login",
    "wrong password": "A wrong password shows Cognito's message on the managed login",
}


class Bare:
    def __init__(self, info, passwords, browser):
        self.info, self.passwords, self.browser = info, passwords, browser
        session = boto3.Session(aws_access_key_id=info.admin_access_key_id,
                                aws_secret_access_key=info.admin_secret_access_key, region_name=info.region)
        self.admin = session.client("cognito-idp", endpoint_url=info.endpoint_url)
        self.app = boto3.client("cognito-idp", region_name=info.region, endpoint_url=info.endpoint_url,
                                config=BotoConfig(signature_version=UNSIGNED))

    def enrol(self, email: str) -> pyotp.TOTP:
        pool = self.info.user_pool_id
        self.admin.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
                                     UserAttributes=[{"Name": "email", "Value": email},
                                                     {"Name": "email_verified", "Value": "true"}])
        self.admin.admin_set_user_password(UserPoolId=pool, Username=email, Password=self.passwords[email],
                                           Permanent=True)
        access = self.app.initiate_auth(ClientId=self.info.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": email, "PASSWORD": self.passwords[email]})
        access = access["AuthenticationResult"]["AccessToken"]
        totp = pyotp.TOTP(self.app.associate_software_token(AccessToken=access)["SecretCode"])
        self.app.verify_software_token(AccessToken=access, UserCode=totp.at(control(self.info, "clock")["now"]))
        self.admin.admin_set_user_mfa_preference(UserPoolId=pool, Username=email,
                                                 SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        return totp

    def journey(self, name: str, look: str) -> None:
        info = self.info
        self.admin.set_user_pool_mfa_config(UserPoolId=info.user_pool_id, MfaConfiguration="OPTIONAL",
                                            SoftwareTokenMfaConfiguration={"Enabled": True})
        control(info, "login-style", {"style": look})
        email = "demo-with-mfa@example.com" if name == "authenticator code" else "admin@example.com"
        totp = self.enrol(email) if name == "authenticator code" else None
        context = self.browser.new_context()
        page = context.new_page()
        page.goto(info.callback_url)
        page.get_by_role("button", name="Sign in with the managed login").click()
        page.get_by_label("Email").fill(email)
        if look == "managed":
            page.get_by_role("button", name="Next").click()
        password = self.passwords[email] + ("-wrong" if name == "wrong password" else "")
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        if name == "wrong password":
            page.get_by_role("alert").filter(has_text="Incorrect username or password.").wait_for()
        else:
            if totp is not None:
                now = control(info, "clock", {"advance": 30})["now"]
                page.get_by_label("Code", exact=True).fill(totp.at(now))
                page.get_by_role("button", name="Sign in", exact=True).click()
            page.get_by_text(f"Signed in as {email}").wait_for()
        context.close()


def run(runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    from cognito_harness.browser import resolve_browser
    from cognito_harness.config import load_config
    from cognito_harness.embedded.server import EmbeddedServer

    config = load_config(ROOT / "scenarios.yaml")
    passwords = {p.email: p.password_for("embedded") for p in (config.persona(n) for n in ("demo", "admin", "mfa user"))}
    server = EmbeddedServer(config)
    info = server.start()
    times: dict[str, list[float]] = {f"{t}[{look}]": [] for t in JOURNEYS.values() for look in ("classic", "managed")}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(**resolve_browser(None, playwright=pw).launch_args())
            bare = Bare(info, passwords, browser)
            for i in range(runs + 1):
                for name, title in JOURNEYS.items():
                    for look in ("classic", "managed"):
                        control(info, "reset", {})
                        t0 = time.perf_counter()
                        bare.journey(name, look)
                        if i:  # the first round warms up, as the harness does before its first scenario
                            times[f"{title}[{look}]"].append(time.perf_counter() - t0)
            browser.close()
    finally:
        server.stop()
    return {"runs": runs, "median_seconds": {k: statistics.median(v) for k, v in times.items()}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.runs)
    if args.json:
        print(json.dumps(result))
    else:
        for name, seconds in result["median_seconds"].items():
            print(f"{seconds * 1000:7.0f} ms  {name}")
