//! What the randomised cross-backend tests share: one VM per backend with the same budget and
//! helpers, each with its prototype (`sum` 1, `read8` 2 through the checked memory, `stop` 3
//! ending the run, and helpers that write memory: [`FILL`], [`COPY`]); seeded runners; listings
//! for failure messages.

use oxbpf::{Access, Arg, BACKENDS, Config, HelperStop, Proto, Vm};

/// Helper `fill(dst, size)`: writes `size` bytes of 0xa5 at `dst` (a pointer's worth of them
/// over a spilled pointer, say).
pub const FILL: u32 = 4;
/// Helper `copy(dst, size, src)`: copies `size` bytes from `src` (a number or a pointer) to
/// `dst`, as `probe_read` does.
pub const COPY: u32 = 5;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};

/// A VM per registered backend with an instruction budget of `budget`, not verifying: these
/// tests compare what backends do with any loadable program, traps included.
pub fn vms(budget: u64) -> Vec<Vm> {
    vms_verifying(budget, false)
}

/// [`vms`], verifying programs as they load when `verify` is set.
pub fn vms_verifying(budget: u64, verify: bool) -> Vec<Vm> {
    let config = Config {
        instruction_budget: Some(budget),
        verify,
        ..Config::default()
    };
    BACKENDS
        .iter()
        .map(|b| {
            let mut vm = Vm::with_config(b, config.clone()).unwrap();
            vm.register_helper_with_proto(1, "sum", Proto::numbers(2), |_, [a, b, ..]| {
                Ok(a.wrapping_add(b))
            });
            vm.register_helper_with_proto(2, "read8", Proto::numbers(1), |ctx, [addr, ..]| {
                let mut v = [0u8; 8];
                ctx.memory
                    .read(addr, &mut v)
                    .map_err(|k| HelperStop::Error(k.to_string()))?;
                Ok(u64::from_le_bytes(v))
            });
            vm.register_helper_with_proto(3, "stop", Proto::numbers(1), |_, [a, ..]| {
                Err(HelperStop::Exit(a))
            });
            register_memory_helpers(&mut vm);
            vm
        })
        .collect()
}

/// Registers the helpers that write memory, with their prototypes: [`FILL`] and [`COPY`].
pub fn register_memory_helpers(vm: &mut Vm) {
    let fill = Proto::scalar([
        Arg::MemOut,
        Arg::Size,
        Arg::Unused,
        Arg::Unused,
        Arg::Unused,
    ]);
    vm.register_helper_with_proto(FILL, "fill", fill, |hc, [dst, size, ..]| {
        // Checked first: `size` is any number an unverified program passes.
        if !hc.memory.contains(dst, size, Access::Write) {
            return Err(HelperStop::Error(format!("{size} bytes at {dst:#x}")));
        }
        let bytes = vec![0xa5; size as usize];
        hc.memory
            .write(dst, &bytes)
            .map_err(|f| HelperStop::Error(f.to_string()))?;
        Ok(0)
    });
    let copy = Proto::scalar([
        Arg::MemOut,
        Arg::Size,
        Arg::Address,
        Arg::Unused,
        Arg::Unused,
    ]);
    vm.register_helper_with_proto(COPY, "copy", copy, |hc, [dst, size, src, ..]| {
        if !hc.memory.contains(dst, size, Access::Write) {
            return Err(HelperStop::Error(format!("{size} bytes at {dst:#x}")));
        }
        let mut bytes = vec![0; size as usize];
        hc.memory
            .read(src, &mut bytes)
            .map_err(|f| HelperStop::Error(f.to_string()))?;
        hc.memory
            .write(dst, &bytes)
            .map_err(|f| HelperStop::Error(f.to_string()))?;
        Ok(0)
    });
}

/// The number in environment variable `name`, or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A deterministic proptest runner seeded from environment variable `seed_var` (or `default`).
pub fn seeded_runner(seed_var: &str, default: u64) -> TestRunner {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&env_u64(seed_var, default).to_le_bytes());
    TestRunner::new_with_rng(
        RunnerConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    )
}

/// The program, one numbered instruction per line, for failure messages.
pub fn listing(p: &oxbpf::Program) -> String {
    p.insns()
        .iter()
        .enumerate()
        .map(|(pc, i)| format!("{pc:4}: {i}\n"))
        .collect()
}
