// NET_RX: sends the length and first two bytes of every packet to ring map `events`, for the
// host to read; passes every packet.
// Build: oxbpf mbpf build net_rx_events.js --name events --version 1.0 --hook net_rx \
//          --caps CAP_MAP_WRITE --map events:ring:0:4:64 -o events.mbpf
const rec = new Uint8Array(4);

function mbpf_prog(ctx) {
  const n = ctx.data_len;
  rec[0] = n & 0xff;
  rec[1] = (n >>> 8) & 0xff;
  rec[2] = n > 0 ? ctx.readU8(0) : 0;
  rec[3] = n > 1 ? ctx.readU8(1) : 0;
  maps.events.submit(rec);
  return 0;
}
