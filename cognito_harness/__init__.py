"""cognito-mfa-harness: executable specs for a Cognito user pool with TOTP MFA."""

__version__ = "0.1.0"
