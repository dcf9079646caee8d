// Runs graphql-http's GraphQL-over-HTTP server audits against one URL and prints the
// results as one JSON array on stdout: [{id, name, status, reason, responseStatus}].
// status is "ok", or for a failed audit "error" (MUST), "warn" (SHOULD), "notice" (MAY).
// Used by tests/gateway/test_http_spec.py; install with `npm ci --prefix tests/http_audit`.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node run_audits.mjs <graphql endpoint url>');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.reason ?? null,
    responseStatus: result.response ? result.response.status : null,
  });
}
process.stdout.write(JSON.stringify(results));
