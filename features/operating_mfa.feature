Feature: Operating MFA once it is live: rollback, a lost phone, turning it off, signing out everywhere
  What happens after the narrative: the operator can roll the pool's MFA back to off and
  turn it on again, reset the MFA of a user who lost their phone, a user can turn the
  authenticator off from their own signed-in page, and signing out of every device ends
  every session of the user. The MFA user is created by the run, so these scenarios run on
  a real pool too.

  Background:
    Given the pool offers optional MFA with authenticator apps only
    And "mfa user" is enrolled with an authenticator app

  Rule: Rolling the pool's MFA back to off stops every challenge; optional MFA brings them back

    Scenario: With the pool's MFA off an enrolled user signs in without a code
      When the operator turns the pool's MFA off
      Then "mfa user" can sign in with email and password and receives tokens without any challenge

    Scenario: Optional MFA again, the enrolled user is challenged again
      Given the operator has turned the pool's MFA off
      When the operator makes MFA optional with authenticator apps as the only method
      Then the next sign-in of "mfa user" is challenged with SOFTWARE_TOKEN_MFA

  Rule: The operator resets the MFA of a user who lost their phone

    Scenario: After the reset the user signs in without a code
      When the operator resets the MFA of "mfa user"
      Then "mfa user" can sign in with email and password and receives tokens without any challenge
      And the operator sees no MFA settings on "mfa user"

    Scenario: After the reset the user enrols a new phone and the lost one no longer works
      Given the operator has reset the MFA of "mfa user"
      When "mfa user" enrols an authenticator app from their own signed-in page
      Then the next sign-in of "mfa user" is challenged with SOFTWARE_TOKEN_MFA
      And a code from the lost authenticator of "mfa user" is refused

  Rule: A user turns the authenticator app off from their own signed-in page

    Scenario: After turning it off the user signs in without a code
      When "mfa user" turns off the authenticator app from their own signed-in page
      Then "mfa user" can sign in with email and password and receives tokens without any challenge
      And the operator sees no MFA settings on "mfa user"

  Rule: Signing out of every device revokes the user's tokens

    Scenario: After signing out everywhere the refresh token is refused
      Given "mfa user" is signed in
      When "mfa user" signs out of every device
      And "mfa user" refreshes the session with the refresh token
      Then the request is refused with NotAuthorizedException "Refresh Token has been revoked"

    Scenario: After signing out everywhere the access token is refused
      Given "mfa user" is signed in
      When "mfa user" signs out of every device
      And "mfa user" opens their own account with the access token
      Then the request is refused with NotAuthorizedException "Access Token has been revoked"

    Scenario: The operator signs a user out of every device
      Given "mfa user" is signed in
      When the operator signs "mfa user" out of every device
      And "mfa user" refreshes the session with the refresh token
      Then the request is refused with NotAuthorizedException "Refresh Token has been revoked"

    Scenario: A new sign-in after signing out everywhere works
      Given "mfa user" is signed in
      And "mfa user" has signed out of every device
      When "mfa user" signs in with email and password
      Then the sign-in is challenged with SOFTWARE_TOKEN_MFA
