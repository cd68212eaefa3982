#!/usr/bin/env bash
# The narrative's Steps 1-3, as the engineer ran them with the AWS CLI, against the embedded pool.
# Needs the AWS CLI (`pip install awscli` or v2) next to the project's .venv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v aws >/dev/null || { echo "the AWS CLI is not installed (pip install awscli)"; exit 2; }
PY=.venv/bin/python
OUT=$(mktemp); trap 'kill $SERVER 2>/dev/null; rm -f "$OUT"' EXIT
.venv/bin/cognito-harness serve >"$OUT" & SERVER=$!
until [ -s "$OUT" ]; do sleep 0.2; done
field() { $PY -c "import json,sys; print(json.load(open('$OUT'))['$1'])"; }
E=$(field endpoint_url); POOL=$(field user_pool_id); CLIENT=$(field client_id)
export AWS_ACCESS_KEY_ID=$(field admin_access_key_id) AWS_SECRET_ACCESS_KEY=$(field admin_secret_access_key) AWS_DEFAULT_REGION=$(field region)
idp() { echo "+ aws cognito-idp $1" >&2; aws --endpoint-url "$E" cognito-idp "$@"; }
U=demo-with-mfa@example.com

echo "== Step 1: pool MFA configuration"
idp get-user-pool-mfa-config --user-pool-id "$POOL"
idp set-user-pool-mfa-config --user-pool-id "$POOL" --software-token-mfa-configuration Enabled=true --mfa-configuration OPTIONAL

echo "== Step 2: create and enrol the MFA user"
idp admin-create-user --user-pool-id "$POOL" --username $U --user-attributes Name=email,Value=$U Name=email_verified,Value=true --message-action SUPPRESS >/dev/null
idp admin-set-user-password --user-pool-id "$POOL" --username $U --password Aaaa1111 --permanent
idp admin-initiate-auth --user-pool-id "$POOL" --client-id "$CLIENT" --auth-flow ADMIN_USER_PASSWORD_AUTH \
    --auth-parameters USERNAME=$U,PASSWORD=Aaaa1111 || true     # Auth flow not enabled for this client
idp admin-set-user-mfa-preference --user-pool-id "$POOL" --username $U \
    --software-token-mfa-settings Enabled=true,PreferredMfa=true || true   # before associate: the log's error
AT=$(idp initiate-auth --client-id "$CLIENT" --auth-flow USER_PASSWORD_AUTH --auth-parameters USERNAME=$U,PASSWORD=Aaaa1111 \
     --query AuthenticationResult.AccessToken --output text)
SECRET=$(idp associate-software-token --access-token "$AT" --query SecretCode --output text)
echo "SecretCode: ${SECRET:0:2}*** (${#SECRET} characters)"
echo "otpauth://totp/$U?secret=<SecretCode>&issuer=cognito-demo"
CODE=$($PY -c "import pyotp,sys; print(pyotp.TOTP(sys.argv[1]).now())" "$SECRET")
idp verify-software-token --access-token "$AT" --user-code "$CODE"
idp admin-set-user-mfa-preference --user-pool-id "$POOL" --username $U --software-token-mfa-settings Enabled=true,PreferredMfa=true

echo "== Step 3 / Check 2: the challenge"
idp initiate-auth --client-id "$CLIENT" --auth-flow USER_PASSWORD_AUTH --auth-parameters USERNAME=$U,PASSWORD=Aaaa1111 \
    --query '{ChallengeName: ChallengeName, ChallengeParameters: ChallengeParameters}'
idp admin-get-user --user-pool-id "$POOL" --username $U --query '{UserStatus: UserStatus, PreferredMfaSetting: PreferredMfaSetting, UserMFASettingList: UserMFASettingList}'
idp admin-get-user --user-pool-id "$POOL" --username demo@example.com --query '{UserStatus: UserStatus, PreferredMfaSetting: PreferredMfaSetting}'
