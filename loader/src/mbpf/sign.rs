//! Ed25519 signatures of bundles (pure Ed25519, RFC 8032) and key files.
//!
//! The signature covers the bytes before it: the final header (SIGNED flag set, section count
//! including the SIG section, file CRC as stored), the whole table with the SIG descriptor
//! `{5, offset, 64, 0}`, and every section's data. It is the last 64 bytes of the file.

use super::MbpfError;
use super::container::{
    Container, DESCRIPTOR_SIZE, FLAG_SIGNED, HEADER_SIZE, MAX_SECTIONS, section,
};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Bytes of a signature.
pub const SIGNATURE_LEN: usize = 64;

/// A new keypair from the operating system's randomness.
pub fn generate_key() -> Result<SigningKey, MbpfError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| MbpfError::Key(format!("no randomness: {e}")))?;
    Ok(key_from_seed(&seed))
}

/// The keypair of a 32-byte seed (deterministic: for tests and derived keys).
pub fn key_from_seed(seed: &[u8; 32]) -> SigningKey {
    SigningKey::from_bytes(seed)
}

/// The keypair file: `seed[32] ‖ public[32]`.
pub fn keypair_file(key: &SigningKey) -> [u8; 64] {
    key.to_keypair_bytes()
}

/// Reads a keypair file (64 bytes: seed then public key, which must match).
pub fn read_keypair(bytes: &[u8]) -> Result<SigningKey, MbpfError> {
    let b: &[u8; 64] = bytes.try_into().map_err(|_| {
        MbpfError::Key(format!(
            "a keypair file is 64 bytes (seed and public key), this one is {}",
            bytes.len()
        ))
    })?;
    SigningKey::from_keypair_bytes(b)
        .map_err(|_| MbpfError::Key("the keypair's public half does not match its seed".into()))
}

/// Reads a public key file: 32 bytes, or a 64-byte keypair file (its public half).
pub fn read_public_key(bytes: &[u8]) -> Result<VerifyingKey, MbpfError> {
    match bytes.len() {
        32 => {
            let mut b = [0u8; 32];
            b.copy_from_slice(bytes);
            VerifyingKey::from_bytes(&b)
                .map_err(|_| MbpfError::Key("not a valid Ed25519 public key".into()))
        }
        64 => Ok(read_keypair(bytes)?.verifying_key()),
        n => Err(MbpfError::Key(format!(
            "a public key file is 32 bytes (or a 64-byte keypair), this one is {n}"
        ))),
    }
}

/// Signs an unsigned bundle: adds the SIG descriptor (every offset moves by 16), sets the
/// SIGNED flag, clears the file CRC (a CRC over the signature would have to be computed after
/// it, and would break it), keeps the section CRCs, and appends the signature.
pub fn sign(bundle: &[u8], key: &SigningKey) -> Result<Vec<u8>, MbpfError> {
    let c = Container::parse(bundle)?;
    if c.find(section::SIG).is_some() || c.flags & FLAG_SIGNED != 0 {
        return Err(MbpfError::AlreadySigned);
    }
    let count = c.sections.len() as u32 + 1;
    if count > MAX_SECTIONS {
        return Err(MbpfError::TooManySections(count));
    }
    let old_header = c.header_size as usize;
    let new_header = old_header + DESCRIPTOR_SIZE;
    let sig_offset = bundle.len() + DESCRIPTOR_SIZE;
    let new_header_u16 =
        u16::try_from(new_header).map_err(|_| MbpfError::TooManySections(count))?;
    let sig_offset_u32 = u32::try_from(sig_offset).map_err(|_| MbpfError::TooLarge(sig_offset))?;
    let mut out = Vec::with_capacity(sig_offset + SIGNATURE_LEN);
    out.extend_from_slice(&bundle[..6]);
    out.extend_from_slice(&new_header_u16.to_le_bytes());
    out.extend_from_slice(&(c.flags | FLAG_SIGNED).to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for d in &c.sections {
        out.extend_from_slice(&d.kind.to_le_bytes());
        out.extend_from_slice(&(d.offset + DESCRIPTOR_SIZE as u32).to_le_bytes());
        out.extend_from_slice(&d.length.to_le_bytes());
        out.extend_from_slice(&d.crc32.to_le_bytes());
    }
    out.extend_from_slice(&section::SIG.to_le_bytes());
    out.extend_from_slice(&sig_offset_u32.to_le_bytes());
    out.extend_from_slice(&(SIGNATURE_LEN as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    // Whatever the old header held beyond its table, then the data, all moved by 16.
    let table_end = HEADER_SIZE + DESCRIPTOR_SIZE * c.sections.len();
    out.extend_from_slice(&bundle[table_end..]);
    debug_assert_eq!(out.len(), sig_offset);
    let signature = key.sign(&out);
    out.extend_from_slice(&signature.to_bytes());
    Ok(out)
}

/// Whether `bundle` is signed: it has a SIG section.
pub fn is_signed(bundle: &Container<'_>) -> bool {
    bundle.find(section::SIG).is_some()
}

/// Checks the signature of a signed bundle against `key`: the SIG section must be 64 bytes
/// ending exactly at the end of the file, and verify (strictly) over the bytes before it.
pub fn verify(bundle: &Container<'_>, key: &VerifyingKey) -> Result<(), MbpfError> {
    let d = bundle.find(section::SIG).ok_or(MbpfError::Unsigned)?;
    let file_len = bundle.bytes().len();
    if d.length as usize != SIGNATURE_LEN || d.offset as usize + SIGNATURE_LEN != file_len {
        return Err(MbpfError::SignatureLayout {
            offset: d.offset,
            length: d.length,
            file_len,
        });
    }
    let sig_bytes: &[u8; 64] = bundle
        .data(d)
        .try_into()
        .map_err(|_| MbpfError::BadSignature)?;
    let signature = Signature::from_bytes(sig_bytes);
    key.verify_strict(&bundle.bytes()[..d.offset as usize], &signature)
        .map_err(|_| MbpfError::BadSignature)
}
