// SECURITY hook: deny (1) action 3 for subject 1000; allow (0) everything else.
// Build: oxbpf mbpf build security_deny.js --name deny_exec --version 1.0 --hook security -o deny.mbpf
const DENIED_SUBJECT = 1000;
const DENIED_ACTION = 3;

function mbpf_prog(ctx) {
  if (ctx.subject_id === DENIED_SUBJECT && ctx.action === DENIED_ACTION) {
    return 1; // DENY
  }
  return 0; // ALLOW
}
