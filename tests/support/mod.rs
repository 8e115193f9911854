//! What the randomised cross-backend tests share: one VM per backend with the same budget and
//! helpers (`sum` 1, `read8` 2 through the checked memory, `stop` 3 ending the run).

use oxbpf::{BACKENDS, Config, HelperStop, Vm};

/// A VM per registered backend with an instruction budget of `budget`, not verifying: these
/// tests compare what backends do with any loadable program, traps included.
#[allow(
    dead_code,
    reason = "not every test that shares this module uses every function"
)]
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
            vm.register_helper(1, "sum", |_, [a, b, ..]| Ok(a.wrapping_add(b)));
            vm.register_helper(2, "read8", |ctx, [addr, ..]| {
                let mut v = [0u8; 8];
                ctx.memory
                    .read(addr, &mut v)
                    .map_err(|k| HelperStop::Error(k.to_string()))?;
                Ok(u64::from_le_bytes(v))
            });
            vm.register_helper(3, "stop", |_, [a, ..]| Err(HelperStop::Exit(a)));
            vm
        })
        .collect()
}
