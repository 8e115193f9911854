// NET_RX filter: drop (1) every packet whose first byte is 0xFF, pass (0) the rest.
// Build: oxbpf mbpf build net_rx_drop_ff.js --name drop_ff --version 1.0 --hook net_rx -o drop_ff.mbpf
function mbpf_prog(ctx) {
  if (ctx.data_len > 0 && ctx.readU8(0) === 0xff) {
    return 1; // DROP
  }
  return 0; // PASS
}
