//! The benchmark workloads: C written for this suite, compiled once with
//! `clang -O2 -target bpf` (the checked-in `.bin` bytecode, see `workloads/build.sh`) and natively
//! by this crate's build script, with deterministic inputs.
#![expect(unsafe_code, reason = "calls the natively compiled workloads")]

/// Signature of a natively compiled workload: `(memory, length) -> result`.
pub type NativeFn = unsafe extern "C" fn(*mut u8, u64) -> u64;

unsafe extern "C" {
    fn bench_log2(mem: *mut u8, len: u64) -> u64;
    fn bench_switch(mem: *mut u8, len: u64) -> u64;
    fn bench_prime(mem: *mut u8, len: u64) -> u64;
    fn bench_copy(mem: *mut u8, len: u64) -> u64;
    fn bench_strcmp(mem: *mut u8, len: u64) -> u64;
    fn bench_const(mem: *mut u8, len: u64) -> u64;
    fn bench_sum2(mem: *mut u8, len: u64) -> u64;
}

/// One workload.
#[derive(Clone, Copy)]
pub struct Workload {
    /// Short name.
    pub name: &'static str,
    /// eBPF bytecode built by clang.
    pub bytecode: &'static [u8],
    /// Builds the input memory.
    pub input: fn() -> Vec<u8>,
    /// The same C, compiled natively.
    pub native: NativeFn,
}

impl std::fmt::Debug for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload")
            .field("name", &self.name)
            .finish()
    }
}

impl Workload {
    /// Runs the native build on `mem`.
    pub fn run_native(&self, mem: &mut [u8]) -> u64 {
        // SAFETY: every workload reads and writes only inside `[mem, mem + len)` for the inputs
        // `input` builds (their C sources say so), and `mem` is a live exclusive buffer.
        unsafe { (self.native)(mem.as_mut_ptr(), mem.len() as u64) }
    }
}

/// A deterministic byte stream (xorshift64*).
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

const MIB: usize = 1 << 20;

fn log2_input() -> Vec<u8> {
    pseudo_random(1024 * 4, 1)
}

fn switch_input() -> Vec<u8> {
    pseudo_random(4096, 2)
}

fn copy_input() -> Vec<u8> {
    let mut v = pseudo_random(MIB, 3);
    v.resize(2 * MIB, 0);
    v
}

fn strcmp_input() -> Vec<u8> {
    // Two equal strings of 1 MiB - 1 non-zero bytes, each NUL-terminated.
    let s: Vec<u8> = pseudo_random(MIB - 1, 4)
        .into_iter()
        .map(|b| b | 1)
        .collect();
    let mut v = s.clone();
    v.push(0);
    v.extend_from_slice(&s);
    v.push(0);
    v
}

fn small_input() -> Vec<u8> {
    let mut v = 40u64.to_le_bytes().to_vec();
    v.extend_from_slice(&2u64.to_le_bytes());
    v
}

fn no_input() -> Vec<u8> {
    Vec::new()
}

/// Every workload.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        name: "log2",
        bytecode: include_bytes!("../workloads/log2.bin"),
        input: log2_input,
        native: bench_log2,
    },
    Workload {
        name: "switch",
        bytecode: include_bytes!("../workloads/switch.bin"),
        input: switch_input,
        native: bench_switch,
    },
    Workload {
        name: "prime",
        bytecode: include_bytes!("../workloads/prime.bin"),
        input: no_input,
        native: bench_prime,
    },
    Workload {
        name: "copy",
        bytecode: include_bytes!("../workloads/copy.bin"),
        input: copy_input,
        native: bench_copy,
    },
    Workload {
        name: "strcmp",
        bytecode: include_bytes!("../workloads/strcmp.bin"),
        input: strcmp_input,
        native: bench_strcmp,
    },
    Workload {
        name: "const",
        bytecode: include_bytes!("../workloads/const.bin"),
        input: no_input,
        native: bench_const,
    },
    Workload {
        name: "sum2",
        bytecode: include_bytes!("../workloads/sum2.bin"),
        input: small_input,
        native: bench_sum2,
    },
];

/// The workload called `name`.
pub fn workload(name: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|w| w.name == name)
}

/// The configuration the workloads are measured with: the defaults (bounds checks on) without
/// instruction counting, which neither native code nor rbpf does, and without verification, so
/// every access keeps its check (see [`verifying_vm`] for the verified variant). `counting`
/// turns counting back on, to measure its cost.
pub fn config(counting: bool) -> oxbpf::Config {
    oxbpf::Config {
        count_instructions: counting,
        verify: false,
        ..oxbpf::Config::default()
    }
}

/// A VM on `backend` that verifies what it loads, so that compiled code drops the checks of
/// accesses proven in bounds. The workloads' loops run over the memory's length, which is known
/// only at run time, so they are proven for any number of iterations
/// ([`oxbpf::Termination::Budget`]); no instruction counting, like [`config`]`(false)`.
pub fn verifying_vm(backend: &str) -> oxbpf::Vm {
    let config = oxbpf::Config {
        verify: true,
        ..config(false)
    };
    let mut vm = oxbpf::Vm::with_config(backend, config).expect("a registered backend");
    vm.verifier_mut().termination = oxbpf::Termination::Budget;
    vm
}

/// A straight-line-heavy program of about `len` instructions for verification benches:
/// repeated blocks that spill, reload, branch over a store and index the stack.
pub fn long_program(len: usize) -> Vec<u8> {
    let mut src = String::from("mov %r0, 0\nstdw [%r10-8], 0\n");
    for i in 0..len.div_ceil(6) {
        src.push_str(&format!(
            "add %r0, {}\njgt %r0, {}, +1\nstxdw [%r10-8], %r0\nldxdw %r3, [%r10-8]\n\
             and %r3, 7\nadd %r0, %r3\n",
            i % 13,
            i * 5
        ));
    }
    src.push_str("exit\n");
    oxbpf::isa::encode(&oxbpf::asm::assemble(&src).expect("valid assembly"))
}
