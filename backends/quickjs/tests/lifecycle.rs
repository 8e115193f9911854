//! Load, attach, run, detach, hot update with the maps kept, unload.

use oxbpf_loader::mbpf::manifest::{Hook, Manifest, MapDecl, MapKind};
use oxbpf_loader::mbpf::{Bundle, Payload};
use oxbpf_quickjs::{HookInput, Host, LifecycleError, MapPolicy};

fn counting(step: u32, value_size: u32) -> Bundle {
    let mut m = Manifest::new("count", "1", Hook::Timer);
    m.capabilities = 2 | 4;
    m.maps.push(MapDecl {
        name: "n".into(),
        kind: MapKind::Counter,
        key_size: 0,
        value_size,
        max_entries: 1,
        flags: 0,
    });
    let js = format!(
        "function mbpf_prog(ctx) {{ maps.n.add(0, {step}); return maps.n.get(0); }}\n\
         function mbpf_fini() {{ globalThis.done = true; }}"
    );
    Bundle {
        manifest: m,
        payload: Payload::Source(js),
        ebpf: None,
        signed: false,
    }
}

fn tick() -> HookInput {
    HookInput::new(Hook::Timer, vec![])
}

#[test]
fn the_lifecycle_keeps_maps_across_a_hot_update() {
    let mut host = Host::new();
    let id = host.load(&counting(1, 8)).unwrap();
    // Not attached: nothing runs.
    assert_eq!(host.run(&tick()).rc, 0);
    assert_eq!(
        host.attach(id, Hook::NetRx),
        Err(LifecycleError::WrongHook {
            expected: "timer",
            got: "net_rx"
        })
    );
    host.attach(id, Hook::Timer).unwrap();
    assert_eq!(
        host.attach(id, Hook::Timer),
        Err(LifecycleError::AlreadyAttached)
    );
    assert_eq!(host.run(&tick()).rc, 1);
    assert_eq!(host.run(&tick()).rc, 2);
    // Updating needs a detached program.
    assert_eq!(
        host.update(id, &counting(10, 8), MapPolicy::Preserve),
        Err(LifecycleError::UpdateWhileAttached)
    );
    host.detach(id).unwrap();
    assert_eq!(host.detach(id), Err(LifecycleError::NotAttached));
    assert_eq!(
        host.update(id, &counting(10, 8), MapPolicy::Preserve),
        Ok(None)
    );
    host.attach(id, Hook::Timer).unwrap();
    assert_eq!(host.run(&tick()).rc, 12, "the counter carried over");
    // Reset: a new map.
    host.detach(id).unwrap();
    host.update(id, &counting(100, 8), MapPolicy::Reset)
        .unwrap();
    host.attach(id, Hook::Timer).unwrap();
    assert_eq!(host.run(&tick()).rc, 100);
    // A second program on the same hook: the last one's result wins.
    let other = host.load(&counting(5, 8)).unwrap();
    host.attach(other, Hook::Timer).unwrap();
    assert_eq!(host.run(&tick()).rc, 5);
    // Unload works attached, once.
    assert_eq!(host.unload(other), Ok(None));
    assert!(matches!(
        host.unload(other),
        Err(LifecycleError::Unknown(_))
    ));
    assert_eq!(host.run(&tick()).rc, 300);
}

#[test]
fn a_failed_update_keeps_the_old_version() {
    let mut host = Host::new();
    let id = host.load(&counting(1, 8)).unwrap();
    let mut broken = counting(1, 8);
    broken.payload = Payload::Source("function mbpf_prog( {".into());
    assert!(matches!(
        host.update(id, &broken, MapPolicy::Preserve),
        Err(LifecycleError::Load(_))
    ));
    host.attach(id, Hook::Timer).unwrap();
    assert_eq!(host.run(&tick()).rc, 1);
}
