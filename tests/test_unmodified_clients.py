"""Clients nobody here wrote, unmodified, against `cognito-harness serve`: pycognito (its
AWSSRP for SRP and for the device sign-in; the device confirmed through boto3 with pycognito's
`generate_hash_device`, because pycognito's own ConfirmDevice posts to AWS's fixed URL) and
amazon-cognito-identity-js in node (tests/clients/identity_js_flow.js).

Each signs an MFA user in with SRP, answers the TOTP challenge, remembers the device and
signs in again on it without a code; a wrong password fails for both. The server runs as its
own process, as a developer would start it, so its clock is the clients' clock (pycognito and
the library stamp TIMESTAMP with the machine's time; the pool checks it against its own).

The node client is installed by scripts/setup.sh (npm ci in tests/clients); the node test is
skipped only when node itself is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import boto3
import pyotp
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig

import processes

CLIENTS = Path(__file__).parent / "clients"
PASSWORD = "Aaaa1111srp"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`cognito-harness serve` on a free port; its JSON line."""
    log = tmp_path_factory.mktemp("serve") / "stderr.log"
    with open(log, "wb") as err:
        proc = processes.start([sys.executable, "-m", "cognito_harness.cli", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=err, cwd=Path(__file__).parent.parent)
    try:
        line = proc.stdout.readline()
        if not line:
            proc.wait(timeout=10)
            pytest.fail(f"cognito-harness serve did not start:\n{log.read_text()[-2000:]}")
        yield json.loads(line)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


class Pool:
    """The operator's and the app's boto3 clients of the served pool, and its clock."""

    def __init__(self, info: dict):
        self.info = info
        self.pool_id, self.client_id = info["user_pool_id"], info["client_id"]
        self.app = boto3.client("cognito-idp", region_name=info["region"], endpoint_url=info["endpoint_url"],
                                config=BotoConfig(signature_version=UNSIGNED))
        self.admin = boto3.client("cognito-idp", region_name=info["region"], endpoint_url=info["endpoint_url"],
                                  aws_access_key_id=info["admin_access_key_id"],
                                  aws_secret_access_key=info["admin_secret_access_key"])

    def now(self) -> float:
        with urllib.request.urlopen(self.info["clock_url"], timeout=10) as resp:
            return float(json.loads(resp.read())["now"])

    def next_window(self) -> None:
        """A fresh TOTP window (the verify code counts as used), without sleeping."""
        body = json.dumps({"advance": 30 - self.now() % 30 + 0.5}).encode()
        req = urllib.request.Request(self.info["clock_url"], data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Harness-Token": self.info["harness_token"]})
        urllib.request.urlopen(req, timeout=10).close()

    def mfa_user(self) -> tuple[str, str]:
        """The narrative's MFA user, enrolled with an authenticator (Step 2), on an OPTIONAL pool."""
        self.admin.set_user_pool_mfa_config(UserPoolId=self.pool_id, MfaConfiguration="OPTIONAL",
                                            SoftwareTokenMfaConfiguration={"Enabled": True})
        email = f"client-{uuid.uuid4().hex[:8]}@example.com"
        self.admin.admin_create_user(UserPoolId=self.pool_id, Username=email, MessageAction="SUPPRESS",
                                     UserAttributes=[{"Name": "email", "Value": email},
                                                     {"Name": "email_verified", "Value": "true"}])
        self.admin.admin_set_user_password(UserPoolId=self.pool_id, Username=email, Password=PASSWORD, Permanent=True)
        access = self.app.initiate_auth(ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
            "USERNAME": email, "PASSWORD": PASSWORD})["AuthenticationResult"]["AccessToken"]
        secret = self.app.associate_software_token(AccessToken=access)["SecretCode"]
        self.app.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).at(self.now()))
        self.admin.admin_set_user_mfa_preference(UserPoolId=self.pool_id, Username=email,
                                                 SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        self.next_window()
        return email, secret


@pytest.fixture(scope="module")
def pool(served):
    return Pool(served)


def test_pycognito_signs_in_with_srp_totp_and_a_remembered_device(pool):
    from pycognito.aws_srp import AWSSRP, generate_hash_device
    from pycognito.exceptions import SoftwareTokenMFAChallengeException

    email, secret = pool.mfa_user()
    srp = dict(pool_id=pool.pool_id, client_id=pool.client_id, client=pool.app)
    seen = []

    with pytest.raises(pool.app.exceptions.NotAuthorizedException, match="Incorrect username or password."):
        AWSSRP(username=email, password=PASSWORD + "-wrong", **srp).authenticate_user()
    seen.append("wrong password: NotAuthorizedException Incorrect username or password.")

    with pytest.raises(SoftwareTokenMFAChallengeException) as challenged:
        AWSSRP(username=email, password=PASSWORD, **srp).authenticate_user()
    challenge = challenged.value.get_tokens()
    seen.append(f"SRP sign-in: {challenge['ChallengeName']}")
    tokens = pool.app.respond_to_auth_challenge(
        ClientId=pool.client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": challenge["ChallengeParameters"]["USER_ID_FOR_SRP"],
                            "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(secret).at(pool.now())})["AuthenticationResult"]
    device = tokens["NewDeviceMetadata"]
    seen.append("TOTP code: tokens with NewDeviceMetadata")

    device_password, verifier = generate_hash_device(device["DeviceGroupKey"], device["DeviceKey"])
    confirmed = pool.app.confirm_device(AccessToken=tokens["AccessToken"], DeviceKey=device["DeviceKey"],
                                        DeviceSecretVerifierConfig=verifier, DeviceName="pycognito")
    assert confirmed["UserConfirmationNecessary"] is True  # scenarios.yaml: remembered on the user's prompt
    pool.app.update_device_status(AccessToken=tokens["AccessToken"], DeviceKey=device["DeviceKey"],
                                  DeviceRememberedStatus="remembered")
    seen.append("ConfirmDevice (generate_hash_device) + UpdateDeviceStatus remembered")

    on_device = AWSSRP(username=email, password=PASSWORD, device_key=device["DeviceKey"],
                       device_group_key=device["DeviceGroupKey"], device_password=device_password, **srp)
    again = on_device.authenticate_user()  # DEVICE_SRP_AUTH -> DEVICE_PASSWORD_VERIFIER inside pycognito
    assert again["AuthenticationResult"]["IdToken"] and "ChallengeName" not in again
    seen.append("SRP sign-in on the remembered device: tokens, no code asked")

    impostor = AWSSRP(username=email, password=PASSWORD, device_key=device["DeviceKey"],
                      device_group_key=device["DeviceGroupKey"], device_password="not-the-device-password", **srp)
    with pytest.raises(pool.app.exceptions.NotAuthorizedException):
        impostor.authenticate_user()
    seen.append("wrong device password: NotAuthorizedException")
    print("\n".join(f"pycognito: {line}" for line in seen))  # shown with -s / -rP


def test_amazon_cognito_identity_js_signs_in_with_srp_totp_and_a_remembered_device(pool):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: amazon-cognito-identity-js cannot run here")
    if not (CLIENTS / "node_modules" / "amazon-cognito-identity-js").is_dir():
        pytest.fail("amazon-cognito-identity-js is not installed in tests/clients: run scripts/setup.sh")
    email, secret = pool.mfa_user()
    run = subprocess.run([node, str(CLIENTS / "identity_js_flow.js"), pool.info["endpoint_url"], pool.pool_id,
                          pool.client_id, email, PASSWORD, secret, pool.info["clock_url"]],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "NODE_NO_WARNINGS": "1"})
    steps = {}
    for line in run.stdout.splitlines():
        record = json.loads(line)
        steps[record.pop("step")] = record
    assert run.returncode == 0, f"node failed ({run.returncode}): {run.stdout}\n{run.stderr[-2000:]}"
    assert steps["wrong password"] == {"outcome": "error", "code": "NotAuthorizedException",
                                       "message": "Incorrect username or password."}
    assert steps["sign-in"] == {"outcome": "SOFTWARE_TOKEN_MFA"}
    assert steps["code"]["outcome"] == "tokens" and steps["code"]["deviceKey"] == "present", steps["code"]
    assert steps["code"]["userConfirmationNecessary"] is True
    assert steps["remember this device"] == {"outcome": "remembered"}
    assert steps["sign-in on the remembered device"] == {"outcome": "tokens", "idToken": "present"}
    print("\n".join(f"amazon-cognito-identity-js: {k}: {json.dumps(v)}" for k, v in steps.items()))
