// Runs first in every program instance, before the program's own top level: removes what loads
// code or is not deterministic, and leaves behind (in a global the runtime takes and deletes)
// the function that builds each run's read-only `ctx`.
const defineProperty = Object.defineProperty;
const keys = Object.keys;
const min = Math.min;
const Uint8ArrayCtor = Uint8Array;

delete globalThis.eval;
delete globalThis.Function;
delete Math.random;
for (const f of [function () {}, function* () {}, async function () {}, async function* () {}]) {
  defineProperty(Object.getPrototypeOf(f), "constructor", { value: undefined });
}

function makeCtx(fields, data, readable) {
  const ctx = {};
  for (const k of keys(fields)) {
    const v = fields[k];
    defineProperty(ctx, k, { get() { return v; }, set(_) {}, enumerable: true });
  }
  if (!readable) {
    return ctx;
  }
  const n = data === null ? 0 : data.length;
  const offset = (off, width) => {
    if (typeof off !== "number") {
      throw new TypeError("offset must be a number");
    }
    off = off | 0;
    if (data === null) {
      throw new RangeError("no data");
    }
    if (off < 0 || off >= n || off + width > n) {
      throw new RangeError("offset " + off + " out of range (data_len " + n + ")");
    }
    return off;
  };
  ctx.readU8 = function (off) {
    off = offset(off, 1);
    return data[off];
  };
  ctx.readU16LE = function (off) {
    off = offset(off, 2);
    return data[off] | (data[off + 1] << 8);
  };
  ctx.readU32LE = function (off) {
    off = offset(off, 4);
    return (data[off] | (data[off + 1] << 8) | (data[off + 2] << 16) | (data[off + 3] << 24)) >>> 0;
  };
  ctx.readBytes = function (off, len, out) {
    if (typeof len !== "number") {
      throw new TypeError("length must be a number");
    }
    if (!(out instanceof Uint8ArrayCtor)) {
      throw new TypeError("out must be a Uint8Array");
    }
    off = offset(off, 0);
    const k = min(len | 0, n - off, out.length);
    for (let i = 0; i < k; i++) {
      out[i] = data[off + i];
    }
    return k < 0 ? 0 : k;
  };
  return ctx;
}

globalThis.__oxbpf_make_ctx = makeCtx;
