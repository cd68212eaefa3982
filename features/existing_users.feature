Feature: Existing users keep signing in without MFA
  Check 1 of the narrative: after MFA becomes optional, the users who never enrolled sign in
  with email and password only, get AWS credentials from the identity pool, list S3 buckets
  and refresh their tokens.

  Background:
    Given the pool offers optional MFA with authenticator apps only

  Rule: Email and password are enough for a user who never enrolled

    Scenario Outline: <persona> signs in without being asked for a code
      When "<persona>" signs in with email and password
      Then "<persona>" receives tokens without any challenge
      And the ID token names "<persona>" with a verified email

      Examples:
        | persona |
        | demo    |
        | admin   |

    Scenario: An existing user has no MFA settings
      When the operator looks up "demo"
      Then the user record shows no MFA settings
      And the user record shows a confirmed, enabled user

  Rule: The identity pool turns the ID token into AWS credentials that may only list buckets

    Scenario Outline: <persona> lists the S3 buckets with identity-pool credentials
      Given "<persona>" is signed in
      When "<persona>" exchanges the ID token for AWS credentials
      Then the credentials list the demo bucket

      Examples:
        | persona |
        | demo    |
        | admin   |

    Scenario: Identity-pool credentials cannot write to S3
      Given "admin" is signed in
      When "admin" exchanges the ID token for AWS credentials
      Then writing to the demo bucket with those credentials is denied

    Scenario: The identity pool refuses a caller without a sign-in
      When someone asks the identity pool for an identity without signing in
      Then the request is refused with NotAuthorizedException "Unauthenticated access is not supported for this identity pool."

    Scenario: The same user always gets the same identity
      Given "demo" is signed in
      When "demo" asks the identity pool for an identity twice
      Then both answers name the same identity

  Rule: The refresh token keeps the session going

    Scenario: The refresh token re-authenticates an existing user
      Given "admin" is signed in
      When "admin" refreshes the session with the refresh token
      Then "admin" receives new tokens without any challenge
      And the ID token names "admin" with a verified email

  Rule: Sign-in mistakes get Cognito's answers

    Scenario: A wrong password is refused
      When "demo" signs in with a wrong password
      Then the request is refused with NotAuthorizedException "Incorrect username or password."

    Scenario: An unknown user gets the same answer as a wrong password
      When someone signs in as an unknown user
      Then the request is refused with NotAuthorizedException "Incorrect username or password."

    Scenario: The admin sign-in flow is refused by a client that does not allow it
      When the operator signs "admin" in with the admin flow
      Then the request is refused with InvalidParameterException "Auth flow not enabled for this client"
