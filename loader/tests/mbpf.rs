//! `.mbpf` bundles: the manifest against bytes written by an independent CBOR encoder, its strict
//! reading, the container's bounds and CRCs, signatures and the load policy.

use oxbpf_loader::mbpf::container::{self, Container, section};
use oxbpf_loader::mbpf::manifest::{self, Hook, MapKind};
use oxbpf_loader::mbpf::{Bundle, LoadPolicy, MbpfError, Payload, sign};

/// A manifest as Python's `cbor2.dumps` writes it (insertion order, shortest heads): name
/// "drop_ff", version "1.0", NET_RX, 64-bit little-endian, heap 16384, budgets 10000/100,
/// CAP_LOG and CAP_MAP_READ, one array map `counts` (8-byte values, 4 entries).
const MANIFEST_HEX: &str = "ab6c70726f6772616d5f6e616d656764726f705f66666f70726f6772616d5f76657273696f6e63312e3069686f6f6b5f747970650374686f6f6b5f6374785f6162695f76657273696f6e0178196d717569636b6a735f62797465636f64655f76657273696f6e19800166746172676574a269776f72645f73697a6518406a656e6469616e6e657373666c6974746c65706d6270665f6170695f76657273696f6e0169686561705f73697a651940006762756467657473a2696d61785f73746570731927106b6d61785f68656c7065727318646c6361706162696c697469657382674341505f4c4f476c4341505f4d41505f52454144646d61707381a6646e616d6566636f756e7473647479706501686b65795f73697a65006a76616c75655f73697a65086b6d61785f656e74726965730465666c61677300";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn expected_manifest() -> manifest::Manifest {
    let mut m = manifest::Manifest::new("drop_ff", "1.0", Hook::NetRx);
    m.bytecode_version = 0x8001;
    m.word_size = 64;
    m.little_endian = true;
    m.heap_size = 16384;
    m.capabilities = 1 | 2;
    m.maps.push(manifest::MapDecl {
        name: "counts".into(),
        kind: MapKind::Array,
        key_size: 0,
        value_size: 8,
        max_entries: 4,
        flags: 0,
    });
    m
}

#[test]
fn the_manifest_reads_and_writes_the_bytes_an_independent_encoder_writes() {
    let bytes = hex(MANIFEST_HEX);
    let m = manifest::decode(&bytes).unwrap();
    assert_eq!(m, expected_manifest());
    assert_eq!(manifest::encode(&m), bytes);
    assert_eq!(m.entry, "mbpf_prog");
    assert_eq!(m.capability_names(), ["CAP_LOG", "CAP_MAP_READ"]);
}

#[test]
fn manifest_options_round_trip() {
    let mut m = expected_manifest();
    m.entry = "filter".into();
    m.budgets.max_wall_time_us = Some(500);
    m.helper_versions.push(("log".into(), 1));
    m.maps[0].kind = MapKind::PercpuHash;
    m.maps[0].flags = 1;
    m.capabilities = 0x7f;
    let bytes = manifest::encode(&m);
    assert_eq!(manifest::decode(&bytes).unwrap(), m);
    assert_eq!(manifest::encode(&manifest::decode(&bytes).unwrap()), bytes);
}

/// The hook, map-type and capability tables: every row is found by its id and by its name,
/// names are exact (no other case), and nothing outside the tables is found.
#[test]
fn the_manifest_tables_look_up_both_ways() {
    let ids: Vec<u64> = Hook::ALL.iter().map(|&h| h as u64).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    for h in Hook::ALL {
        assert_eq!(Hook::from_id(h as u64), Some(h));
        assert_eq!(Hook::from_name(h.name()), Some(h));
        assert_eq!(Hook::from_name(&h.name().to_uppercase()), None);
        assert_eq!(h.default_return(), i32::from(h == Hook::Security));
    }
    assert_eq!(Hook::from_id(0), None);
    assert_eq!(Hook::from_id(7), None);
    assert_eq!(Hook::NetRx.name(), "net_rx");

    let codes: Vec<u64> = MapKind::ALL.iter().map(|&k| k as u64).collect();
    assert_eq!(codes, [1, 2, 3, 5, 6, 7, 8]);
    for k in MapKind::ALL {
        assert_eq!(MapKind::from_code(k as u64), Some(k));
        assert_eq!(MapKind::from_name(k.name()), Some(k));
        assert_eq!(MapKind::from_name(&k.name().to_uppercase()), None);
    }
    assert_eq!(MapKind::from_code(4), None);
    assert_eq!(MapKind::LruHash.name(), "lru_hash");

    for (i, (name, bit)) in manifest::CAPABILITIES.into_iter().enumerate() {
        assert_eq!(bit, 1 << i);
        assert_eq!(manifest::capability_name(bit), name);
        assert_eq!(manifest::capability_bit(name), Some(bit));
        assert_eq!(manifest::capability_bit(&name.to_lowercase()), None);
    }
    assert_eq!(manifest::CAPABILITIES[0], ("CAP_LOG", manifest::CAP_LOG));
    assert_eq!(manifest::capability_name(0), "");
    assert_eq!(manifest::capability_name(128), "");
}

/// The fixture with the first occurrence of `from` (hex) replaced by `to`.
fn mutated(from: &str, to: &str) -> Vec<u8> {
    assert!(MANIFEST_HEX.contains(from), "{from}");
    hex(&MANIFEST_HEX.replacen(from, to, 1))
}

fn manifest_error(bytes: &[u8]) -> String {
    match manifest::decode(bytes) {
        Err(e @ MbpfError::Manifest { .. }) => e.to_string(),
        other => panic!("expected a manifest error, got {other:?}"),
    }
}

#[test]
fn the_manifest_refuses_what_the_reference_would_silently_accept_or_truncate() {
    // heap_size: 0x194000 (16384) becomes -16385, then the half float 4.0, then tag 1 + 16384.
    let e = manifest_error(&mutated("1940006762", "3940006762"));
    assert!(e.contains("negative numbers"), "{e}");
    let e = manifest_error(&mutated("1940006762", "f944006762"));
    assert!(e.contains("floating-point"), "{e}");
    let e = manifest_error(&mutated("1940006762", "c11940006762"));
    assert!(e.contains("tags"), "{e}");
    // An indefinite-length manifest, and an indefinite-length target map.
    let mut indefinite = hex(MANIFEST_HEX);
    indefinite[0] = 0xbf;
    indefinite.push(0xff);
    assert!(manifest_error(&indefinite).contains("indefinite"));
    let e = manifest_error(&hex(MANIFEST_HEX).then_indef());
    assert!(e.contains("indefinite"), "{e}");
    // A 64-byte program name (the limit is 63).
    let long = "78".to_owned() + "40" + &"61".repeat(64);
    let e = manifest_error(&mutated("6764726f705f6666", &long));
    assert!(
        e.contains("longer than 63") && e.contains("program_name"),
        "{e}"
    );
    // An unknown map type (4 is reserved), a map name with a quote.
    let e = manifest_error(&mutated("647479706501", "647479706504"));
    assert!(e.contains("unknown type 4") && e.contains("counts"), "{e}");
    let e = manifest_error(&mutated("66636f756e7473", "66636f756e2273"));
    assert!(e.contains("map name"), "{e}");
    // Out of range: hook 7, heap below 8192, a word size of 48, a number over 32 bits.
    let e = manifest_error(&mutated("686f6f6b5f7479706503", "686f6f6b5f7479706507"));
    assert!(e.contains("hook_type 7"), "{e}");
    let e = manifest_error(&mutated("1940006762", "190fff6762"));
    assert!(e.contains("below 8192"), "{e}");
    let e = manifest_error(&mutated("73697a651840", "73697a651830"));
    assert!(e.contains("word_size 48"), "{e}");
    let e = manifest_error(&mutated("1940006762", "1b00000001000000006762"));
    assert!(e.contains("out of range"), "{e}");
    // A missing required key: rename "heap_size" to "heap_sizz" (then skipped as unknown).
    let e = manifest_error(&mutated("686561705f73697a65", "686561705f73697a7a"));
    assert!(e.contains("lacks the required key `heap_size`"), "{e}");
    // Trailing bytes, truncation, JSON, not a map.
    let mut trailing = hex(MANIFEST_HEX);
    trailing.push(0);
    assert!(manifest_error(&trailing).contains("1 bytes after"));
    let full = hex(MANIFEST_HEX);
    for cut in [1, 10, 100, full.len() - 1] {
        assert!(
            manifest_error(&full[..cut]).contains("truncated"),
            "cut at {cut}"
        );
    }
    assert!(manifest_error(b"{\"program_name\": \"x\"}").contains("JSON"));
    assert!(manifest_error(&[0x01]).contains("not a CBOR map"));
}

/// Turns the first definite map header right after the matched key into an indefinite one.
trait ThenIndef {
    fn then_indef(self) -> Vec<u8>;
}

impl ThenIndef for Vec<u8> {
    fn then_indef(self) -> Vec<u8> {
        // "target" then a2 (2 pairs): make it bf ... ff.
        let key = b"target";
        let at = self.windows(key.len()).position(|w| w == key).unwrap() + key.len();
        assert_eq!(self[at], 0xa2);
        let mut out = self;
        out[at] = 0xbf;
        // The target map's two pairs end before "mbpf_api_version"'s key head (0x70).
        let end = out
            .windows(16)
            .position(|w| w == b"mbpf_api_version")
            .unwrap()
            - 1;
        out.insert(end, 0xff);
        out
    }
}

fn bundle_with(js: &[u8], crc: bool) -> Vec<u8> {
    let m = manifest::encode(&expected_manifest());
    container::write(&[(section::MANIFEST, &m), (section::JS_SOURCE, js)], 0, crc).unwrap()
}

#[test]
fn containers_round_trip_with_crcs() {
    let b = bundle_with(b"function mbpf_prog(ctx) { return 0; }", true);
    let c = Container::parse(&b).unwrap();
    assert_eq!(&b[..4], b"FPBM");
    assert_eq!(c.header_size as usize, 20 + 2 * 16);
    assert_eq!(c.sections.len(), 2);
    assert_eq!(
        c.section(section::JS_SOURCE).unwrap(),
        b"function mbpf_prog(ctx) { return 0; }"
    );
    assert_ne!(c.file_crc32, 0);
    assert_eq!(
        c.sections[1].crc32,
        crc32fast_reference(b"function mbpf_prog(ctx) { return 0; }")
    );
    c.check_crcs().unwrap();
}

/// CRC-32/ISO-HDLC computed bit by bit, to check the table-driven one.
fn crc32fast_reference(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn the_crc_catches_every_flipped_byte() {
    let b = bundle_with(b"function mbpf_prog(ctx) { return 1; }", true);
    for i in 0..b.len() {
        if (16..20).contains(&i) {
            continue; // the file CRC itself: a different mismatch, checked below
        }
        let mut bad = b.clone();
        bad[i] ^= 0x01;
        let open = Bundle::open(
            &bad,
            &LoadPolicy {
                trusted: vec![],
                allow_unsigned: true,
            },
        );
        assert!(open.is_err(), "flipping byte {i} went unnoticed");
    }
    let mut bad = b.clone();
    bad[16] ^= 1;
    assert!(matches!(
        Container::parse(&bad).unwrap().check_crcs(),
        Err(MbpfError::FileCrc { .. })
    ));
    // A flipped byte of a section's data: that section's CRC names it.
    let mut bad = b.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x20;
    assert!(matches!(
        Container::parse(&bad).unwrap().check_crcs(),
        Err(MbpfError::SectionCrc {
            index: 1,
            kind: 0x100,
            ..
        })
    ));
}

#[test]
fn malformed_containers_get_their_error() {
    let b = bundle_with(b"x", false);
    for cut in 0..b.len() {
        // Every truncation is refused (the manifest or a section no longer fits).
        let policy = LoadPolicy {
            trusted: vec![],
            allow_unsigned: true,
        };
        assert!(Bundle::open(&b[..cut], &policy).is_err(), "cut at {cut}");
    }
    assert!(matches!(
        Container::parse(&b[..10]),
        Err(MbpfError::Truncated { .. })
    ));
    let mut bad = b.clone();
    bad[0] = b'X';
    assert!(matches!(
        Container::parse(&bad),
        Err(MbpfError::BadMagic(_))
    ));
    let mut bad = b.clone();
    bad[4] = 2;
    assert!(matches!(
        Container::parse(&bad),
        Err(MbpfError::UnsupportedVersion(2))
    ));
    let mut bad = b.clone();
    bad[6] = 20; // header_size below the table
    assert!(matches!(
        Container::parse(&bad),
        Err(MbpfError::HeaderSize { .. })
    ));
    let mut bad = b.clone();
    bad[12] = 200; // 200 sections
    assert!(matches!(
        Container::parse(&bad),
        Err(MbpfError::TooManySections(200))
    ));
    // Section 1 moved onto section 0, then past the end.
    let mut bad = b.clone();
    let off0 = bad[24..28].to_vec();
    bad[40..44].copy_from_slice(&off0);
    assert!(matches!(
        Container::parse(&bad),
        Err(MbpfError::SectionsOverlap {
            first: 0,
            second: 1
        })
    ));
    let mut bad = b.clone();
    bad[40..44].copy_from_slice(&(b.len() as u32).to_le_bytes());
    let e = Container::parse(&bad).unwrap_err();
    assert!(
        matches!(e, MbpfError::SectionOutOfFile { index: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("section 1"));
}

#[test]
fn signatures_verify_under_their_key_only() {
    let b = bundle_with(b"function mbpf_prog(ctx) { return 0; }", true);
    let key = sign::generate_key().unwrap();
    let other = sign::generate_key().unwrap();
    let signed = sign::sign(&b, &key).unwrap();
    assert_eq!(signed.len(), b.len() + 16 + 64);
    let c = Container::parse(&signed).unwrap();
    assert_eq!(c.flags & container::FLAG_SIGNED, 1);
    assert_eq!(c.file_crc32, 0);
    assert_eq!(c.sections.last().unwrap().kind, section::SIG);
    // Section CRCs kept and still right after the move.
    c.check_crcs().unwrap();
    sign::verify(&c, &key.verifying_key()).unwrap();
    assert_eq!(
        sign::verify(&c, &other.verifying_key()),
        Err(MbpfError::BadSignature)
    );
    assert_eq!(
        sign::sign(&signed, &key).unwrap_err(),
        MbpfError::AlreadySigned
    );

    // Key files: the keypair and the public key, both accepted for verification.
    let pair = sign::keypair_file(&key);
    assert_eq!(
        sign::read_keypair(&pair).unwrap().verifying_key(),
        key.verifying_key()
    );
    assert_eq!(sign::read_public_key(&pair).unwrap(), key.verifying_key());
    let public = key.verifying_key().to_bytes();
    assert_eq!(sign::read_public_key(&public).unwrap(), key.verifying_key());
    assert!(sign::read_public_key(&public[..31]).is_err());
    let mut mismatched = pair;
    mismatched[40] ^= 1;
    assert!(sign::read_keypair(&mismatched).is_err());

    // Any flipped byte breaks the signature (or the structure).
    let trusted = LoadPolicy {
        trusted: vec![key.verifying_key()],
        allow_unsigned: false,
    };
    assert!(Bundle::open(&signed, &trusted).unwrap().signed);
    for i in (0..signed.len()).step_by(7) {
        let mut bad = signed.clone();
        bad[i] ^= 0x80;
        assert!(Bundle::open(&bad, &trusted).is_err(), "byte {i}");
    }
}

#[test]
fn the_load_policy_decides_what_runs() {
    let js = b"function mbpf_prog(ctx) { return 0; }";
    let key = sign::generate_key().unwrap();
    let other = sign::generate_key().unwrap();
    let trusted = LoadPolicy {
        trusted: vec![key.verifying_key()],
        allow_unsigned: false,
    };
    let lenient = LoadPolicy {
        trusted: vec![key.verifying_key()],
        allow_unsigned: true,
    };
    let m = manifest::encode(&expected_manifest());
    let with_bytecode = container::write(
        &[
            (section::MANIFEST, &m),
            (section::JS_SOURCE, js),
            (section::QJS_BYTECODE, b"qjs"),
        ],
        0,
        true,
    )
    .unwrap();
    // Unsigned: refused, or allowed with the source compiled (never its bytecode).
    assert_eq!(
        Bundle::open(&with_bytecode, &trusted).unwrap_err(),
        MbpfError::Unsigned
    );
    let b = Bundle::open(&with_bytecode, &lenient).unwrap();
    assert!(!b.signed);
    assert_eq!(
        b.payload,
        Payload::Source(String::from_utf8(js.to_vec()).unwrap())
    );
    // Signed by the trusted key: the bytecode is used.
    let signed = sign::sign(&with_bytecode, &key).unwrap();
    assert_eq!(
        Bundle::open(&signed, &trusted).unwrap().payload,
        Payload::Bytecode(b"qjs".to_vec())
    );
    // Re-signed under another key: refused, even where unsigned bundles are allowed.
    let resigned = sign::sign(&with_bytecode, &other).unwrap();
    assert_eq!(
        Bundle::open(&resigned, &trusted).unwrap_err(),
        MbpfError::Untrusted(1)
    );
    assert_eq!(
        Bundle::open(&resigned, &lenient).unwrap_err(),
        MbpfError::Untrusted(1)
    );
    // Bytecode alone, unsigned: nothing to run.
    let bytecode_only = container::write(
        &[(section::MANIFEST, &m), (section::QJS_BYTECODE, b"qjs")],
        0,
        true,
    )
    .unwrap();
    assert_eq!(
        Bundle::open(&bytecode_only, &lenient).unwrap_err(),
        MbpfError::UntrustedBytecode
    );
    // Signed by a trusted key, the bytecode alone is enough.
    let signed = sign::sign(&bytecode_only, &key).unwrap();
    assert_eq!(
        Bundle::open(&signed, &trusted).unwrap().payload,
        Payload::Bytecode(b"qjs".to_vec())
    );
    // The reference's MQuickJS image alone.
    let mquickjs = container::write(
        &[
            (section::MANIFEST, &m),
            (section::BYTECODE, &[0xfb, 0xac, 1, 0]),
        ],
        0,
        true,
    )
    .unwrap();
    let e = Bundle::open(&mquickjs, &lenient).unwrap_err();
    assert_eq!(e, MbpfError::MquickjsOnly);
    assert!(e.to_string().contains("MQuickJS bytecode unsupported"));
    // No manifest.
    let no_manifest = container::write(&[(section::JS_SOURCE, js)], 0, true).unwrap();
    assert_eq!(
        Bundle::open(&no_manifest, &lenient).unwrap_err(),
        MbpfError::MissingSection("MANIFEST")
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn signed_bundle() -> Vec<u8> {
        let key = sign::key_from_seed(&[9; 32]);
        sign::sign(
            &bundle_with(b"function mbpf_prog(ctx) { return 2; }", true),
            &key,
        )
        .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let policy = LoadPolicy { trusted: vec![sign::key_from_seed(&[9; 32]).verifying_key()], allow_unsigned: true };
            let _ = Bundle::open(&data, &policy);
            let _ = manifest::decode(&data);
        }

        #[test]
        fn mutated_bundles(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>()) {
            let mut b = signed_bundle();
            for (at, v) in edits {
                let i = at % b.len();
                b[i] = v;
            }
            b.truncate(cut % (b.len() + 1) + b.len() / 2);
            let policy = LoadPolicy { trusted: vec![sign::key_from_seed(&[9; 32]).verifying_key()], allow_unsigned: true };
            let _ = Bundle::open(&b, &policy);
            if let Ok(c) = Container::parse(&b) {
                let _ = c.check_crcs();
                if let Some(m) = c.section(section::MANIFEST)
                    && let Ok(m) = manifest::decode(m)
                {
                    prop_assert_eq!(manifest::decode(&manifest::encode(&m)), Ok(m));
                }
            }
        }

        #[test]
        fn mutated_manifests(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
            let mut m = hex(MANIFEST_HEX);
            for (at, v) in edits {
                let i = at % m.len();
                m[i] = v;
            }
            if let Ok(d) = manifest::decode(&m) {
                prop_assert_eq!(manifest::decode(&manifest::encode(&d)), Ok(d));
            }
        }
    }
}
