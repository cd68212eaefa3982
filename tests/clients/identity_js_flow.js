// amazon-cognito-identity-js, unmodified, against a Cognito endpoint (the embedded pool of
// `cognito-harness serve`). Driven by tests/test_unmodified_clients.py; prints one JSON line
// per step so the test can assert on each. Nothing secret is printed.
//
//   node identity_js_flow.js <endpoint> <pool id> <client id> <username> <password> <totp secret> <clock url>
//
// 1. SRP sign-in with a wrong password: refused.
// 2. SRP sign-in: SOFTWARE_TOKEN_MFA; the code (RFC 6238, at the pool's clock) completes it;
//    the library confirms the new device (ConfirmDevice) and the app remembers it.
// 3. A new sign-in on the same "device" (same storage): no code asked.
'use strict';
const crypto = require('crypto');
const {
  CognitoUserPool, CognitoUser, AuthenticationDetails,
} = require('amazon-cognito-identity-js');

const [endpoint, poolId, clientId, username, password, secret, clockUrl] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

async function totp() {
  const now = (await (await fetch(clockUrl)).json()).now;  // the pool's clock, not this machine's
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30)));
  const mac = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}

function say(step, data) { console.log(JSON.stringify({ step, ...data })); }

function signIn(pw) {
  const user = new CognitoUser({ Username: username, Pool: pool });
  return new Promise(resolve => {
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: pw }), {
      onSuccess: (session, confirmationNecessary) => resolve({ user, outcome: 'tokens', session, confirmationNecessary }),
      onFailure: err => resolve({ user, outcome: 'error', code: err.code || err.name, message: err.message }),
      totpRequired: () => resolve({ user, outcome: 'SOFTWARE_TOKEN_MFA' }),
      mfaRequired: () => resolve({ user, outcome: 'SMS_MFA' }),
      mfaSetup: () => resolve({ user, outcome: 'MFA_SETUP' }),
      newPasswordRequired: () => resolve({ user, outcome: 'NEW_PASSWORD_REQUIRED' }),
    });
  });
}

function answer(user, code) {
  return new Promise(resolve => user.sendMFACode(code, {
    onSuccess: (session, confirmationNecessary) => resolve({ outcome: 'tokens', session, confirmationNecessary }),
    onFailure: err => resolve({ outcome: 'error', code: err.code || err.name, message: err.message }),
  }, 'SOFTWARE_TOKEN_MFA'));
}

function remember(user) {
  return new Promise(resolve => user.setDeviceStatusRemembered({
    onSuccess: () => resolve({ outcome: 'remembered' }),
    onFailure: err => resolve({ outcome: 'error', code: err.code || err.name, message: err.message }),
  }));
}

(async () => {
  const wrong = await signIn(password + '-wrong');
  say('wrong password', { outcome: wrong.outcome, code: wrong.code, message: wrong.message });

  const first = await signIn(password);
  say('sign-in', { outcome: first.outcome });
  if (first.outcome !== 'SOFTWARE_TOKEN_MFA') process.exit(1);
  const done = await answer(first.user, await totp());
  say('code', { outcome: done.outcome, code: done.code, message: done.message,
                userConfirmationNecessary: done.confirmationNecessary === true,
                deviceKey: first.user.deviceKey ? 'present' : 'absent' });
  if (done.outcome !== 'tokens') process.exit(1);
  say('remember this device', await remember(first.user));

  const again = await signIn(password);
  say('sign-in on the remembered device', { outcome: again.outcome, code: again.code, message: again.message,
                                           idToken: again.session ? 'present' : 'absent' });
})().catch(err => { say('crash', { message: String(err && err.stack || err) }); process.exit(2); });
