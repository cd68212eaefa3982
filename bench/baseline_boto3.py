"""The baseline for the harness's overhead on the API narrative: the narrative's calls made by
a plain boto3 script — no pytest, no harness code on the path of a call — against an
embedded pool served the way the specs get theirs (`EmbeddedServer`, same scenarios.yaml,
HTTP on 127.0.0.1).

One pass is the narrative's Step 1, Check 1, Step 2, Step 3 / Check 2 (pool MFA read and set,
existing users' sign-in, identity-pool credentials, S3, refresh, the admin-flow refusal; the
MFA user created, signed in, associated, verified, preferred; the SOFTWARE_TOKEN_MFA
challenge answered, a wrong code, a reused code). Between passes the pool is put back with
POST /_harness/reset (not timed). TOTP codes come from pyotp at the server's clock, which is
moved forward over HTTP where a code must be fresh (not timed either: the harness's specs
count it as theirs).

    .venv/bin/python bench/baseline_boto3.py [--passes 20] [--json]

prints (or with --json, writes to stdout as JSON) the median seconds per AWS call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pyotp
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def control(info, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{info.endpoint_url}/_harness/{path}", data=data,
                                 headers={"Content-Type": "application/json", "X-Harness-Token": info.harness_token})
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


class Timed:
    """Times every AWS call; counts them."""

    def __init__(self):
        self.seconds = 0.0
        self.cpu_seconds = 0.0  # this process's CPU: boto3 and the in-process server's threads
        self.calls = 0

    def __call__(self, fn, **kwargs):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return fn(**kwargs)
        except ClientError as err:
            return err.response
        finally:
            self.seconds += time.perf_counter() - t0
            self.cpu_seconds += time.process_time() - c0
            self.calls += 1


def one_pass(info, admin, app, identity, passwords: dict, timed: Timed) -> None:
    pool, client = info.user_pool_id, info.client_id
    # Step 1
    timed(admin.get_user_pool_mfa_config, UserPoolId=pool)
    timed(admin.set_user_pool_mfa_config, UserPoolId=pool, MfaConfiguration="OPTIONAL",
          SoftwareTokenMfaConfiguration={"Enabled": True})
    # Check 1: existing users
    for who in ("demo@example.com", "admin@example.com"):
        out = timed(app.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": who, "PASSWORD": passwords[who]})
        tokens = out["AuthenticationResult"]
        logins = {f"cognito-idp.{info.region}.amazonaws.com/{pool}": tokens["IdToken"]}
        identity_id = timed(identity.get_id, IdentityPoolId=info.identity_pool_id, Logins=logins)["IdentityId"]
        creds = timed(identity.get_credentials_for_identity, IdentityId=identity_id, Logins=logins)["Credentials"]
        s3 = boto3.client("s3", region_name=info.region, endpoint_url=info.endpoint_url,
                          aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretKey"],
                          aws_session_token=creds["SessionToken"])
        timed(s3.list_buckets)
        timed(app.initiate_auth, ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
              AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
    timed(admin.admin_initiate_auth, UserPoolId=pool, ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
          AuthParameters={"USERNAME": "demo@example.com", "PASSWORD": passwords["demo@example.com"]})
    # Step 2: the MFA user
    mfa = "demo-with-mfa@example.com"
    timed(admin.admin_create_user, UserPoolId=pool, Username=mfa, MessageAction="SUPPRESS",
          UserAttributes=[{"Name": "email", "Value": mfa}, {"Name": "email_verified", "Value": "true"}])
    timed(admin.admin_set_user_password, UserPoolId=pool, Username=mfa, Password=passwords[mfa], Permanent=True)
    timed(admin.admin_set_user_mfa_preference, UserPoolId=pool, Username=mfa,
          SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})  # the log's ordering error
    access = timed(app.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                   AuthParameters={"USERNAME": mfa, "PASSWORD": passwords[mfa]})["AuthenticationResult"]["AccessToken"]
    secret = timed(app.associate_software_token, AccessToken=access)["SecretCode"]
    totp = pyotp.TOTP(secret)
    now = control(info, "clock")["now"]
    timed(app.verify_software_token, AccessToken=access, UserCode=totp.at(now), FriendlyDeviceName="baseline")
    timed(admin.admin_set_user_mfa_preference, UserPoolId=pool, Username=mfa,
          SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    timed(admin.admin_get_user, UserPoolId=pool, Username=mfa)
    # Step 3 / Check 2
    now = control(info, "clock", {"advance": 30})["now"]
    challenge = timed(app.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": mfa, "PASSWORD": passwords[mfa]})
    wrong = f"{(int(totp.at(now)) + 3) % 1_000_000:06d}"
    timed(app.respond_to_auth_challenge, ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA",
          Session=challenge["Session"], ChallengeResponses={"USERNAME": mfa, "SOFTWARE_TOKEN_MFA_CODE": wrong})
    challenge = timed(app.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": mfa, "PASSWORD": passwords[mfa]})
    done = timed(app.respond_to_auth_challenge, ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA",
                 Session=challenge["Session"], ChallengeResponses={"USERNAME": mfa, "SOFTWARE_TOKEN_MFA_CODE": totp.at(now)})
    assert "AuthenticationResult" in done, done
    challenge = timed(app.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": mfa, "PASSWORD": passwords[mfa]})
    timed(app.respond_to_auth_challenge, ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA",
          Session=challenge["Session"], ChallengeResponses={"USERNAME": mfa, "SOFTWARE_TOKEN_MFA_CODE": totp.at(now)})


def run(passes: int) -> dict:
    from cognito_harness.config import load_config
    from cognito_harness.embedded.server import EmbeddedServer

    config = load_config(ROOT / "scenarios.yaml")
    passwords = {p.email: p.password_for("embedded") for p in (config.persona(n) for n in ("demo", "admin", "mfa user"))}
    server = EmbeddedServer(config)
    info = server.start()
    try:
        session = boto3.Session(aws_access_key_id=info.admin_access_key_id,
                                aws_secret_access_key=info.admin_secret_access_key, region_name=info.region)
        admin = session.client("cognito-idp", endpoint_url=info.endpoint_url)
        unsigned = BotoConfig(signature_version=UNSIGNED)
        app = boto3.client("cognito-idp", region_name=info.region, endpoint_url=info.endpoint_url, config=unsigned)
        identity = boto3.client("cognito-identity", region_name=info.region, endpoint_url=info.endpoint_url,
                                config=unsigned)
        per_call, cpu_per_call = [], []
        calls = 0
        for i in range(passes + 1):
            control(info, "reset", {})
            timed = Timed()
            one_pass(info, admin, app, identity, passwords, timed)
            if i:  # the first pass warms the clients, as the harness does before its first scenario
                per_call.append(timed.seconds / timed.calls)
                cpu_per_call.append(timed.cpu_seconds / timed.calls)
                calls = timed.calls
        return {"passes": passes, "calls_per_pass": calls, "seconds_per_call": statistics.median(per_call),
                "cpu_seconds_per_call": statistics.median(cpu_per_call),
                "seconds_per_pass": statistics.median(per_call) * calls}
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.passes)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['calls_per_pass']} AWS calls per pass; median {result['seconds_per_call'] * 1000:.2f} ms per call, "
              f"{result['cpu_seconds_per_call'] * 1000:.2f} ms CPU ({result['passes']} passes)")
