// TIMER: counts its invocations in array map `ticks` (index 0, a little-endian u32); returns 0.
// Build: oxbpf mbpf build timer_count.js --name ticks --version 1.0 --hook timer \
//          --caps CAP_MAP_READ,CAP_MAP_WRITE --map ticks:array:0:4:1 -o ticks.mbpf
const buf = new Uint8Array(4);

function mbpf_prog(ctx) {
  let n = 0;
  if (maps.ticks.lookup(0, buf)) {
    n = (buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24)) >>> 0;
  }
  n = (n + 1) >>> 0;
  buf[0] = n & 0xff;
  buf[1] = (n >>> 8) & 0xff;
  buf[2] = (n >>> 16) & 0xff;
  buf[3] = n >>> 24;
  maps.ticks.update(0, buf);
  return 0;
}
