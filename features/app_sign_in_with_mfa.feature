Feature: The app signs the MFA user in with a code from the authenticator app
  The narrative's Step 3 and Check 2: the sign-in of an enrolled user stops at a
  SOFTWARE_TOKEN_MFA challenge, which the app answers with the authenticator's code.
  Everything that should fail, fails with Cognito's answer.

  Background:
    Given the pool offers optional MFA with authenticator apps only
    And "mfa user" is enrolled with an authenticator app

  Rule: An enrolled user's sign-in is challenged for the authenticator code

    Scenario: The sign-in is challenged with SOFTWARE_TOKEN_MFA
      When "mfa user" signs in with email and password
      Then the sign-in is challenged with SOFTWARE_TOKEN_MFA
      And the challenge names the user for SRP and carries a session

    Scenario: The authenticator's code completes the sign-in
      Given "mfa user" has been challenged for the authenticator code
      When "mfa user" answers with the authenticator's code
      Then "mfa user" receives tokens
      And the ID token names "mfa user" with a verified email

    Scenario: The operator sees MFA settings only on the MFA user
      When the operator looks up "mfa user"
      Then the operator sees TOTP as the preferred and only MFA setting of "mfa user"
      And the operator sees no MFA settings on "demo"

    Scenario: A code from the previous 30-second window is still accepted
      Given "mfa user" has been challenged for the authenticator code
      When "mfa user" answers with the code of the previous 30-second window
      Then "mfa user" receives tokens

  Rule: Wrong, reused and late answers are refused

    Scenario: A wrong code is refused
      Given "mfa user" has been challenged for the authenticator code
      When "mfa user" answers with a wrong code
      Then the request is refused with CodeMismatchException "Invalid code received for user"

    Scenario: A code two windows old is refused
      Given "mfa user" has been challenged for the authenticator code
      When "mfa user" answers with the code of two windows ago
      Then the request is refused with CodeMismatchException "Invalid code received for user"

    Scenario: A code that was already used is refused
      Given "mfa user" has signed in once with the authenticator's code
      And "mfa user" has been challenged for the authenticator code
      When "mfa user" answers with the code used for the previous sign-in
      Then the request is refused with ExpiredCodeException "Your software token has already been used once."

    @waits_on_real_pool
    Scenario: The challenge expires with the app client's session validity
      Given "mfa user" has been challenged for the authenticator code
      When the app client's session validity passes
      And "mfa user" answers with the authenticator's code
      Then the request is refused with NotAuthorizedException "Invalid session for the user, session is expired."

    Scenario: A challenge session cannot be used twice
      Given "mfa user" has signed in once with the authenticator's code
      When "mfa user" answers the same challenge again with a new code
      Then the request is refused with NotAuthorizedException "Invalid session for the user."

    Scenario: A challenge cannot be answered for another user
      Given "mfa user" has been challenged for the authenticator code
      When the challenge of "mfa user" is answered as "demo"
      Then the request is refused with NotAuthorizedException "Invalid session for the user."
      And nobody received tokens

    Scenario: A wrong password never reaches the challenge
      When "mfa user" signs in with a wrong password
      Then the request is refused with NotAuthorizedException "Incorrect username or password."
