// A real OpenID Connect provider for the browser suite: panva's `oidc-provider` (the
// certified Node.js implementation) on a local port, with its development login and
// consent pages, one client (the portal) and two accounts: "ada", whose e-mail address
// is a demo User entity's (Ada Lovelace, ada@acme.example, team platform), and "sam",
// whom the catalog does not know.
//
//   node oidc/provider.mjs PORT REDIRECT_URI
//
// Sign in with the login "ada" (or "sam") and any password. Everything here is for tests only: the
// signing keys are the package's development keys, the client secret is public.
import Provider from 'oidc-provider';

const [port, redirectUri] = process.argv.slice(2);
if (!port || !redirectUri) {
  console.error('usage: node oidc/provider.mjs PORT REDIRECT_URI');
  process.exit(2);
}

const CLIENT_ID = 'portico-e2e';
const CLIENT_SECRET = 'portico-e2e-secret';

const accounts = {
  ada: { email: 'ada@acme.example', email_verified: true, name: 'Ada (at the provider)' },
  sam: { email: 'sam@else.example', email_verified: true, name: 'Sam Stranger' },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  // The portal always sends a PKCE challenge; make sure it has to.
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Leave the address out of the ID token: the portal must read the userinfo endpoint.
  conformIdTokenClaims: true,
  cookies: { keys: ['portico-e2e-cookies'] },
  findAccount: async (ctx, sub) => {
    const account = accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account }) };
  },
});
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
