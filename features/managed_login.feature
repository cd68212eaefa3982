@browser
Feature: The managed login asks an enrolled user for the authenticator code
  Check 1 and Check 2 in a real browser: the hosted-ui-verify page sends the user to the
  managed login (hosted UI); existing users get in with email and password, the MFA user
  is asked for the code from the authenticator app; the page the browser returns to checks
  its state and exchanges the code for tokens.

  Background:
    Given the pool offers optional MFA with authenticator apps only

  Rule: Existing users sign in with email and password only

    Scenario: An existing user signs in through the managed login without a code
      When "admin" signs in through the managed login
      Then the callback page shows "admin" signed in
      And no authenticator code was asked for

    Scenario: The sign-in uses PKCE and returns the state it was sent
      When "demo" signs in through the managed login
      Then the callback page shows "demo" signed in
      And the sign-in was protected with PKCE and state

    Scenario: A wrong password shows Cognito's message on the managed login
      When "demo" signs in through the managed login with a wrong password
      Then the managed login shows "Incorrect username or password."

  Rule: An enrolled user is asked for the authenticator code

    Scenario: The MFA user is asked for the code from an authenticator app
      Given "mfa user" is enrolled with an authenticator app
      When "mfa user" signs in through the managed login
      Then the managed login asks for the code from an authenticator app

    Scenario: The authenticator's code completes the sign-in through the managed login
      Given "mfa user" is enrolled with an authenticator app
      And "mfa user" has been asked for the authenticator code by the managed login
      When "mfa user" enters the authenticator's code
      Then the callback page shows "mfa user" signed in

    Scenario: A wrong code shows Cognito's error and stays on the code page
      Given "mfa user" is enrolled with an authenticator app
      And "mfa user" has been asked for the authenticator code by the managed login
      When "mfa user" enters a wrong code
      Then the managed login shows "Invalid code received for user"
      And the managed login still asks for the authenticator code

  Rule: With the pool's MFA rolled back to off nobody is asked for a code

    Scenario: The managed login does not ask the MFA user for a code while the pool's MFA is off
      Given "mfa user" is enrolled with an authenticator app
      And the operator has turned the pool's MFA off
      When "mfa user" signs in through the managed login
      Then the managed login did not ask for a code
      And the callback page shows "mfa user" signed in

  Rule: The callback trusts only the sign-in it started

    Scenario: A response with a tampered state is caught by the callback
      Given the callback page has started a sign-in through the managed login
      When a sign-in response with another state arrives at the callback
      Then the callback page refuses the response as not its own
      And no code was exchanged for tokens

  Rule: A pool that requires MFA sets up the authenticator on the first sign-in

    Scenario: A new user sets up an authenticator app on the first sign-in
      Given the pool requires MFA with authenticator apps only
      And "mfa user" has been created by the operator
      When "mfa user" signs in through the managed login
      And "mfa user" registers the secret shown on the set-up page and enters its code
      Then the callback page shows "mfa user" signed in

  Rule: The in-app page answers the MFA challenge with a prompt (the log's fix)

    Scenario: The in-app page prompts for the code and shows the MFA user
      Given "mfa user" is enrolled with an authenticator app
      When "mfa user" signs in on the in-app page and answers the prompt with the authenticator's code
      Then the in-app page shows "mfa user" signed in
      And the in-app page asked for the 6-digit code once
