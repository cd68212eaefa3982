Feature: The pool's MFA policy goes from off to optional, with an authenticator app as the only factor
  The narrative's Step 1: the operator reads the pool's MFA configuration, then makes MFA
  optional with authenticator apps (TOTP) only. Email and SMS cannot be factors, because
  the existing users' addresses are fictitious.

  Rule: The pool starts without MFA

    Scenario: The pool's MFA configuration is read as off
      Given the pool as the narrative found it, without MFA
      When the operator reads the pool's MFA configuration
      Then the pool's MFA configuration is "OFF"

  Rule: MFA becomes optional with authenticator apps only

    Scenario: The operator makes MFA optional with authenticator apps only
      Given the pool as the narrative found it, without MFA
      When the operator makes MFA optional with authenticator apps as the only method
      Then the pool's MFA configuration is "OPTIONAL"
      And authenticator apps are enabled as an MFA method
      And text messages are not an MFA method

    Scenario: Enrolling an authenticator is refused while the pool does not offer authenticator apps
      Given the pool as the narrative found it, without MFA
      And "mfa user" has been created by the operator
      When "mfa user" asks for an authenticator secret
      Then the request is refused with SoftwareTokenMFANotFoundException "Software Token MFA has not been enabled by the userPool."
