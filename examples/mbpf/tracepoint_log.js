// TRACEPOINT logger: logs the event's length and first 32-bit word (needs CAP_LOG); returns 0.
// Build: oxbpf mbpf build tracepoint_log.js --name tp_log --version 1.0 --hook tracepoint --caps CAP_LOG -o log.mbpf
function mbpf_prog(ctx) {
  const word = ctx.data_len >= 4 ? ctx.readU32LE(0) : 0;
  mbpf.log(1, "tracepoint " + ctx.tracepoint_id + ": " + ctx.data_len + " bytes, first word 0x" + word.toString(16));
  return 0;
}
