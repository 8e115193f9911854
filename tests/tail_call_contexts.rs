//! A tail call hands its context to another program: to a verified one only when the caller was
//! verified against the same description of the context. Otherwise a caller could write what
//! the target trusts — the packet pointers of a packet context, say — and the target's proven
//! accesses would go wherever they point. Every backend gives `-EINVAL` there (the caller goes
//! on), and the tail call as usual when both agree.

use oxbpf::asm::assemble;
use oxbpf::{BACKENDS, ContextSize, ContextSpec, Map, MapDef, MapSet, MapType, PacketFields, Vm};

/// `-EINVAL` in `r0`.
const EINVAL: u64 = (-22i64) as u64;

/// A packet context: the packet's start at byte 0, its end at byte 8, 16 bytes in all.
fn packet_context() -> ContextSpec {
    ContextSpec {
        size: ContextSize::Fixed(16),
        writable: Some(Vec::new()),
        packet: Some(PacketFields {
            data: 0,
            data_end: 8,
            width: 8,
        }),
        layout: None,
        program_type: None,
    }
}

/// Stores into the first 8 packet bytes, proven present by its check: returns 7.
const PACKET_WRITER: &str = "ldxdw %r2, [%r1+0]\nldxdw %r3, [%r1+8]\nmov %r4, %r2\nadd %r4, 8\n\
    jgt %r4, %r3, +3\nstdw [%r2], 7\nmov %r0, 7\nexit\nmov %r0, 0\nexit\n";

/// Tail-calls program 0 of its program array; returns the helper's result when it fails.
const DISPATCHER: &str = "lddw %r2, map_idx 0\nmov %r3, 0\ncall 12\nexit\n";

#[test]
fn tail_calls_hand_the_context_only_to_programs_verified_for_it() {
    for backend in BACKENDS {
        let prog_array = || {
            let mut maps = MapSet::new();
            let def = MapDef::new("jump", MapType::ProgArray, 4, 4, 1);
            let map = maps.add(Map::new(def).unwrap());
            (maps, map)
        };
        let raw = Vm::new(backend).unwrap();
        let mut packet = Vm::new(backend).unwrap();
        packet.verifier_mut().context = packet_context();
        let dispatcher = |maps: &MapSet| {
            raw.load_with_maps(assemble(DISPATCHER).unwrap(), maps)
                .unwrap()
        };

        // A packet program behind a raw-memory dispatcher, whose context the dispatcher's
        // caller filled with anything (here: a "packet" at address 0x40).
        let (maps, map) = prog_array();
        let target = packet.load_asm(PACKET_WRITER).unwrap();
        map.set_program(0, target.shared_executable()).unwrap();
        let mut ctx = [0u8; 16];
        ctx[0..8].copy_from_slice(&0x40u64.to_le_bytes());
        ctx[8..16].copy_from_slice(&0x48u64.to_le_bytes());
        assert_eq!(
            dispatcher(&maps).execute(&mut ctx),
            Ok(EINVAL),
            "{backend}: a raw-memory caller tail-calls a packet program"
        );

        // The same target behind an unverified dispatcher: refused too.
        let mut unverified = Vm::new(backend).unwrap();
        unverified.config_mut().verify = false;
        let loaded = unverified
            .load_with_maps(assemble(DISPATCHER).unwrap(), &maps)
            .unwrap();
        assert_eq!(
            loaded.execute(&mut ctx),
            Ok(EINVAL),
            "{backend}: unverified"
        );

        // A target verified for raw memory, as the dispatcher: the tail call happens.
        let (maps, map) = prog_array();
        let target = raw.load_asm("mov %r0, 5\nexit").unwrap();
        map.set_program(0, target.shared_executable()).unwrap();
        assert_eq!(
            dispatcher(&maps).execute(&mut ctx),
            Ok(5),
            "{backend}: same context"
        );
    }
}
