//! Assembly the programs are made of: the entry and exit every program has, and common pieces.

/// Keeps the context in r6 and leaves unless all of it is present (so helpers may read it).
const ENTRY: &str = "mov %r6, %r1\njlt %r2, 96, out\n";
/// Where programs leave early.
const OUT: &str = "out:\nmov %r0, 0\nexit\n";
/// Reloads the spilled pointer at fp-8 and stores through it.
pub(crate) const USE: &str = "ldxdw %r1, [%r10-8]\nstdw [%r1+0], 0x41\nmov %r0, 0\nexit\n";
/// r1 = fp-8.
pub(crate) const AT_FP8: &str = "mov %r1, %r10\nadd %r1, -8\n";
/// Stores a byte and returns 0.
pub(crate) const STB_R1: &str = "stb [%r1+0], 0x41\nmov %r0, 0\nexit\n";
/// Stores a byte through r0 and returns 0.
pub(crate) const STB_R0: &str = "stb [%r0+0], 0x41\nmov %r0, 0\nexit\n";

/// A program: [`ENTRY`], `body` (which ends the run), [`OUT`].
pub(crate) fn prog(body: &str) -> String {
    format!("{ENTRY}{body}{OUT}")
}

/// A program with bpf-to-bpf functions after its main one.
pub(crate) fn prog_fn(body: &str, functions: &str) -> String {
    format!("{ENTRY}{body}{OUT}{functions}")
}

/// Looks up key `key` of map `map`: r0 = the value, or a jump to `exit_to` if there is none.
pub(crate) fn look_or(map: u32, key: i32, exit_to: &str) -> String {
    format!(
        "stw [%r10-64], {key}\nmov %r2, %r10\nadd %r2, -64\nlddw %r1, map_idx {map}\ncall 1\n\
         jeq %r0, 0, {exit_to}\n"
    )
}

/// [`look_or`] key 0 of map 0, leaving through `out`.
pub(crate) fn look() -> String {
    look_or(0, 0, "out")
}

/// Looks up map 0's value and spills it at fp-8 (and keeps it in r7).
pub(crate) fn spill_value() -> String {
    format!("{}mov %r7, %r0\nstxdw [%r10-8], %r0\n", look())
}

/// Reserves an 8-byte record of ring map `map`: r0, or a jump to `out`.
pub(crate) fn reserve(map: u32, size: u32) -> String {
    format!("lddw %r1, map_idx {map}\nmov %r2, {size}\nmov %r3, 0\ncall 131\njeq %r0, 0, out\n")
}
