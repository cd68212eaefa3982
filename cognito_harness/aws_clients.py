"""boto3 sessions and clients, created one way for every target (their service models
read once per process: botocore_cache.py)."""

from __future__ import annotations

import boto3
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig

from . import botocore_cache

botocore_cache.install()

RETRIES = BotoConfig(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)


def admin_session(region: str, key_id: str | None = None, secret: str | None = None) -> boto3.Session:
    if key_id:
        return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=region)
    return boto3.Session(region_name=region)


def public_client(service: str, region: str, endpoint_url: str | None):
    """A client for the calls an app makes without AWS credentials (InitiateAuth, ...)."""
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url,
                        config=RETRIES.merge(BotoConfig(signature_version=UNSIGNED)))


def credentials_client(service: str, region: str, endpoint_url: str | None, credentials: dict):
    """A client signed with identity-pool credentials (Cognito Identity's field names)."""
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url, config=RETRIES,
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretKey"],
                        aws_session_token=credentials["SessionToken"])
