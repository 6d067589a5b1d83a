// A stand-in for the GitHub REST API, for the browser suite's scaffolder test: the portal
// publishes new repositories to it (publish:github) and reads their catalog-info.yaml back
// from it (catalog:register). It keeps everything in memory, answers only the calls
// Portico makes, and refuses any request without the token run.sh gives the portal.
//
//   node github/standin.mjs PORT TOKEN
import http from 'node:http';

const [port, token] = [Number(process.argv[2]), process.argv[3]];
if (!port || !token) {
  console.error('usage: node github/standin.mjs PORT TOKEN');
  process.exit(2);
}

/** owner/repo → { blobs, trees, commits, refs, defaultBranch } */
const repos = new Map();
let counter = 0;
const sha = (kind) => `${kind}${(++counter).toString(16).padStart(8, '0')}`;

function answer(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

function read(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try { resolve(text ? JSON.parse(text) : {}); } catch { resolve({}); }
    });
  });
}

/** The files of `branch` in `repo`: path → bytes. */
function files(repo, branch) {
  const commit = repo.commits.get(repo.refs.get(branch));
  const tree = commit && repo.trees.get(commit.tree);
  return new Map((tree ?? []).map((e) => [e.path, repo.blobs.get(e.sha)]));
}

const server = http.createServer(async (req, res) => {
  if (req.headers.authorization !== `Bearer ${token}`) {
    return answer(res, 401, { message: 'Bad credentials' });
  }
  const url = new URL(req.url, 'http://stand-in');
  const path = url.pathname;
  const body = await read(req);
  const method = req.method;
  let m;
  if ((m = path.match(/^\/users\/([^/]+)$/)) && method === 'GET') {
    return answer(res, 200, { login: m[1], type: 'Organization' });
  }
  if ((m = path.match(/^\/orgs\/([^/]+)\/repos$/)) && method === 'POST') {
    const key = `${m[1]}/${body.name}`;
    if (repos.has(key)) return answer(res, 422, { message: 'name already exists on this account' });
    repos.set(key, { blobs: new Map(), trees: new Map(), commits: new Map(), refs: new Map(), defaultBranch: 'main' });
    return answer(res, 201, {
      default_branch: 'main',
      clone_url: `https://github.com/${key}.git`,
      html_url: `https://github.com/${key}`,
    });
  }
  if ((m = path.match(/^\/orgs\/[^/]+\/teams\/[^/]+\/repos\/([^/]+)\/([^/]+)$/)) && method === 'PUT') {
    return answer(res, repos.has(`${m[1]}/${m[2]}`) ? 204 : 404, undefined);
  }
  if (!(m = path.match(/^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/))) {
    return answer(res, 404, { message: `stand-in has no ${method} ${path}` });
  }
  const key = `${m[1]}/${m[2]}`;
  const rest = m[3] ?? '';
  const repo = repos.get(key);
  if (!repo) return answer(res, 404, { message: 'Not Found' });
  if (rest === '' && method === 'GET') return answer(res, 200, { default_branch: repo.defaultBranch, full_name: key });
  if (rest === '' && method === 'PATCH') {
    if (body.default_branch) repo.defaultBranch = body.default_branch;
    return answer(res, 200, { default_branch: repo.defaultBranch });
  }
  if (rest === '/git/blobs' && method === 'POST') {
    const id = sha('blob');
    repo.blobs.set(id, Buffer.from(body.content ?? '', body.encoding === 'base64' ? 'base64' : 'utf8'));
    return answer(res, 201, { sha: id });
  }
  if (rest === '/git/trees' && method === 'POST') {
    const id = sha('tree');
    repo.trees.set(id, (body.tree ?? []).map((e) => ({ path: e.path, sha: e.sha })));
    return answer(res, 201, { sha: id });
  }
  if (rest === '/git/commits' && method === 'POST') {
    const id = sha('commit');
    repo.commits.set(id, { tree: body.tree });
    return answer(res, 201, { sha: id });
  }
  if ((m = rest.match(/^\/git\/ref\/heads\/(.+)$/)) && method === 'GET') {
    return repo.refs.has(m[1]) ? answer(res, 200, { object: { sha: repo.refs.get(m[1]) } }) : answer(res, 404, { message: 'Not Found' });
  }
  if (rest === '/git/refs' && method === 'POST') {
    repo.refs.set(String(body.ref).replace(/^refs\/heads\//, ''), body.sha);
    return answer(res, 201, { ref: body.ref });
  }
  if ((m = rest.match(/^\/git\/refs\/heads\/(.+)$/))) {
    if (method === 'PATCH') { repo.refs.set(m[1], body.sha); return answer(res, 200, {}); }
    if (method === 'DELETE') { repo.refs.delete(m[1]); return answer(res, 204, undefined); }
  }
  if (rest === '/topics' && method === 'PUT') return answer(res, 200, { names: body.names ?? [] });
  if (rest.startsWith('/collaborators/') && method === 'PUT') return answer(res, 204, undefined);
  if (rest.match(/^\/branches\/[^/]+\/protection$/) && method === 'PUT') return answer(res, 200, {});
  if (rest.match(/^\/actions\/workflows\/[^/]+\/dispatches$/) && method === 'POST') return answer(res, 204, undefined);
  if ((m = rest.match(/^\/contents\/(.+)$/)) && method === 'GET') {
    const branch = url.searchParams.get('ref') || repo.defaultBranch;
    const content = files(repo, branch).get(decodeURIComponent(m[1]));
    if (!content) return answer(res, 404, { message: 'Not Found' });
    res.writeHead(200, { 'content-type': 'application/vnd.github.raw' });
    return res.end(content);
  }
  return answer(res, 404, { message: `stand-in has no ${method} ${path}` });
});

server.listen(port, '127.0.0.1', () => console.log(`GitHub stand-in on http://127.0.0.1:${port}`));
