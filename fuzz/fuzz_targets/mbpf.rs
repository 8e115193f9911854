//! Random bytes as an `.mbpf` bundle and as a manifest: the container reader, the CRC checks, the
//! signature check, the strict CBOR manifest reader and the load policy must return a value or an
//! error, never panic; a manifest that reads writes back to bytes that read the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxbpf::mbpf::{Bundle, LoadPolicy, container::Container, manifest, sign};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = manifest::decode(data) {
        let again = manifest::encode(&m);
        assert_eq!(manifest::decode(&again).as_ref(), Ok(&m));
    }
    if let Ok(c) = Container::parse(data) {
        let _ = c.check_crcs();
        let _ = sign::verify(&c, &sign::key_from_seed(&[7; 32]).verifying_key());
    }
    let policy = LoadPolicy {
        trusted: Vec::new(),
        allow_unsigned: true,
    };
    let _ = Bundle::open(data, &policy);
});
