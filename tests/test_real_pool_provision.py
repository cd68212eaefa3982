"""`cognito-harness provision --target aws` (issue 7, section 5) against a fresh plain
`moto_server`: creates the test world through the public AWS APIs, idempotently, prints the
targets.aws block the runs use; `--delete` removes what it created and only that."""

from __future__ import annotations

import sys

import yaml

import processes
import real_pool_endpoints as rp


def _cli(endpoint, config, *args):
    return processes.run([sys.executable, "-m", "cognito_harness.cli", "provision", "--target", "aws",
                          "--config", str(config), *args], cwd=rp.ROOT, env=endpoint.env(),
                         capture_output=True, text=True, timeout=120)


def test_provision_creates_the_world_idempotently_and_delete_removes_only_its_own(tmp_path):
    with rp.plain_moto(provisioned=False) as moto:
        data = yaml.safe_load((rp.ROOT / "scenarios.yaml").read_text())
        data["targets"]["aws"]["endpoint_url"] = moto.endpoint_url  # ids stay the example's placeholders
        config = tmp_path / "scenarios.yaml"
        config.write_text(yaml.safe_dump(data, sort_keys=False))
        s3 = moto.session().client("s3", endpoint_url=moto.endpoint_url)
        s3.create_bucket(Bucket="cognito-demo-bucket")  # somebody's bucket of the same name: used, never deleted

        first = _cli(moto, config)
        assert first.returncode == 0, first.stderr
        block = yaml.safe_load(first.stdout)["targets"]["aws"]
        assert block["endpoint_url"] == moto.endpoint_url and block["allow_mutation"] is False
        for line in ("created the user pool", "created the app client", "created the managed-login domain",
                     "created the identity pool", "created the role cognito_demo_identities-authenticated",
                     "found the bucket cognito-demo-bucket", "created the persona demo", "created the persona admin"):
            assert line in first.stderr, first.stderr
        idp = moto.session().client("cognito-idp", endpoint_url=moto.endpoint_url)
        client = idp.describe_user_pool_client(UserPoolId=block["user_pool_id"], ClientId=block["client_id"])
        flows = client["UserPoolClient"]["ExplicitAuthFlows"]
        assert flows == yaml.safe_load((rp.ROOT / "scenarios.yaml").read_text())["app_client"]["explicit_auth_flows"]
        assert "ALLOW_USER_PASSWORD_AUTH" in flows and "ALLOW_ADMIN_USER_PASSWORD_AUTH" not in flows
        assert client["UserPoolClient"]["AuthSessionValidity"] == 3
        assert client["UserPoolClient"]["PreventUserExistenceErrors"] == "ENABLED"
        iam = moto.session().client("iam", endpoint_url=moto.endpoint_url)
        policy = iam.get_role_policy(RoleName="cognito_demo_identities-authenticated", PolicyName="list-buckets-only")
        assert policy["PolicyDocument"]["Statement"] == [{"Effect": "Allow", "Action": ["s3:ListAllMyBuckets"],
                                                          "Resource": "*"}]

        again = _cli(moto, config)
        assert again.returncode == 0 and "created" not in again.stderr, again.stderr
        assert yaml.safe_load(again.stdout)["targets"]["aws"] == block

        gone = _cli(moto, config, "--delete")
        assert gone.returncode == 0, gone.stderr
        assert f"deleted the user pool {block['user_pool_id']}" in gone.stderr
        assert "deleted the role cognito_demo_identities-authenticated" in gone.stderr
        assert "left the bucket cognito-demo-bucket alone: not created by cognito-harness" in gone.stderr
        assert idp.list_user_pools(MaxResults=60)["UserPools"] == []
        assert s3.head_bucket(Bucket="cognito-demo-bucket")
