Feature: A new user is created and enrolled with an authenticator app
  The narrative's Step 2: the operator creates demo-with-mfa@example.com, the user registers
  the secret in an authenticator app, verifies a code, and TOTP is turned on. The order
  matters, and the log records what goes wrong when it is not kept.

  Background:
    Given the pool offers optional MFA with authenticator apps only

  Rule: The operator creates the MFA user without an invitation

    Scenario: The created user is confirmed with a verified email
      When the operator creates "mfa user" without an invitation, with a verified email and a permanent password
      Then the operator sees "mfa user" as a confirmed, enabled user with a verified email
      And "mfa user" can sign in with email and password and receives tokens without any challenge

  Rule: Enrolment is associate, register, verify, then turn TOTP on

    Scenario: Turning TOTP on before enrolling fails with the log's message
      Given "mfa user" has been created by the operator
      When the operator turns on TOTP for "mfa user"
      Then the request is refused with InvalidParameterException "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA"

    Scenario: Associating an authenticator gives the user a secret of their own
      Given "mfa user" has been created by the operator
      When "mfa user" asks for an authenticator secret
      Then "mfa user" receives a 52-character base32 secret
      And the secret differs from the one another user receives

    Scenario: The secret is registered in the authenticator app through an otpauth URI
      Given "mfa user" has asked for an authenticator secret
      When "mfa user" registers the secret in an authenticator app
      Then the otpauth URI names "mfa user" with the issuer "cognito-demo"
      And the authenticator app shows 6-digit codes

    Scenario: A code from the authenticator app verifies the enrolment
      Given "mfa user" has registered the secret in an authenticator app
      When "mfa user" verifies the enrolment with the authenticator's code
      Then the verification succeeds

    Scenario: A wrong code does not verify the enrolment
      Given "mfa user" has registered the secret in an authenticator app
      When "mfa user" verifies the enrolment with a wrong code
      Then the request is refused with EnableSoftwareTokenMFAException "Code mismatch and fail enable Software Token MFA"

    Scenario: After verification the operator turns TOTP on and the user record shows it
      Given "mfa user" has verified an authenticator app
      When the operator turns on TOTP for "mfa user"
      Then the request succeeds
      And the operator sees TOTP as the preferred and only MFA setting of "mfa user"

    Scenario: A newer secret replaces one that was never verified
      Given "mfa user" has registered the secret in an authenticator app
      When "mfa user" asks for an authenticator secret again
      Then a code from the first secret no longer verifies the enrolment
      And a code from the newer secret verifies the enrolment

  Rule: Without verification the enrolment is incomplete (the log's two-hour trap)

    Scenario: A user who skipped verification is never asked for a code
      Given "mfa user" has registered the secret in an authenticator app but never verified it
      When "mfa user" signs in with email and password
      Then "mfa user" receives tokens without any challenge

  Rule: Users can enrol themselves from a signed-in page (the log's future work)

    Scenario: Self-service enrolment needs only the user's own access token
      Given "mfa user" has been created by the operator
      When "mfa user" enrols an authenticator app from their own signed-in page
      Then the next sign-in of "mfa user" is challenged with SOFTWARE_TOKEN_MFA

  Rule: A pool that requires MFA makes a user without a factor set one up

    Scenario: A user without a factor is asked to set one up when MFA is required
      Given the pool requires MFA with authenticator apps only
      And "mfa user" has been created by the operator
      When "mfa user" signs in with email and password
      Then the sign-in is challenged with MFA_SETUP
      And the challenge offers SOFTWARE_TOKEN_MFA to set up
