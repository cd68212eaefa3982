Feature: Remembered devices: ticking "remember this device" stops the code prompt on that device
  The first question after the MFA rollout: can users tick "remember this device" and stop
  being asked for a code? The apps that ask sign in the Amplify way (SRP). After the password,
  a device the user chose to remember takes the place of the authenticator code; any other
  device is still asked. Forgetting a device, by the user or the operator, brings the code
  back. The session then renews with a refresh token that rotates.

  Background:
    Given the pool offers optional MFA with authenticator apps only
    And the pool remembers devices when the user asks, in place of the authenticator code
    And "mfa user" is enrolled with an authenticator app

  Rule: Signing in from the app still asks for the authenticator code

    Scenario: The MFA user signing in from the app is challenged for the code
      When "mfa user" signs in from the app on a new device
      Then the sign-in is challenged with SOFTWARE_TOKEN_MFA

    Scenario: The code completes the sign-in and the pool offers to remember the device
      Given "mfa user" has signed in from the app on a new device
      When "mfa user" answers with the authenticator's code
      Then "mfa user" receives tokens
      And the pool offers to remember the device

    Scenario: A wrong password is refused by the app's sign-in
      When "mfa user" signs in from the app with a wrong password
      Then the request is refused with NotAuthorizedException "Incorrect username or password."

  Rule: A remembered device is not asked for the code, any other device is

    Scenario: After remembering the device, the next sign-in on it asks no code
      Given "mfa user" has remembered the device "laptop"
      When "mfa user" signs in from the app on the device "laptop"
      Then "mfa user" receives tokens without any challenge

    Scenario: Another device is still asked for the code
      Given "mfa user" has remembered the device "laptop"
      When "mfa user" signs in from the app on a new device
      Then the sign-in is challenged with SOFTWARE_TOKEN_MFA

    Scenario: A device the user did not ask to remember is still asked for the code
      Given "mfa user" has confirmed the device "phone" without remembering it
      When "mfa user" signs in from the app on the device "phone"
      Then the sign-in is challenged with SOFTWARE_TOKEN_MFA

    Scenario: A copy of the device without its secret is refused
      Given "mfa user" has remembered the device "laptop"
      When someone signs in as "mfa user" with the password and a copy of the device "laptop" without its secret
      Then the request is refused with NotAuthorizedException "Incorrect username or password."

  Rule: Forgetting a device brings the code back

    Scenario: After the user forgets the device, the code is asked again on it
      Given "mfa user" has remembered the device "laptop"
      When "mfa user" forgets the device "laptop"
      And "mfa user" signs in from the app on the device "laptop"
      Then the sign-in is challenged with SOFTWARE_TOKEN_MFA

    Scenario: The operator lists the user's devices and forgets one
      Given "mfa user" has remembered the device "laptop"
      When the operator lists the devices of "mfa user"
      Then the operator sees the device "laptop" remembered
      When the operator forgets the device "laptop" of "mfa user"
      Then the operator sees no device of "mfa user"
      When "mfa user" signs in from the app on the device "laptop"
      Then the sign-in is challenged with SOFTWARE_TOKEN_MFA

  Rule: The in-app page offers "Remember this device"

    Scenario: After ticking "Remember this device" on the in-app page, signing in there again asks no code
      When "mfa user" signs in on the in-app page with "Remember this device" ticked and answers the prompt with the authenticator's code
      Then the in-app page says this device is remembered
      When "mfa user" signs out and signs in again on the in-app page
      Then the in-app page shows "mfa user" signed in
      And the in-app page asked for the 6-digit code once

  Rule: The session renews with a refresh token that rotates and stays on its device

    @waits_on_real_pool
    Scenario: The refresh token rotates; the previous one works only within the grace period
      Given the app client rotates refresh tokens
      And "mfa user" is signed in from the app on the device "laptop"
      When "mfa user" renews the session with the refresh token
      Then "mfa user" receives new tokens and a new refresh token
      And the previous refresh token still renews the session within the grace period
      When the refresh token's grace period passes
      And the previous refresh token is used again
      Then the request is refused with NotAuthorizedException "Invalid Refresh Token"

    Scenario: The refresh token does not renew the session on another device
      Given "mfa user" is signed in from the app on the device "laptop"
      When "mfa user" renews the session with the refresh token on another device
      Then the request is refused with NotAuthorizedException "Invalid Refresh Token"
