//! Bob Jenkins' lookup3 hash as Linux's `<linux/jhash.h>` computes it (`jhash2` over 32-bit
//! words, `jhash` over bytes), so that stack ids and bloom filter bits fall where Linux's would.

/// Linux's `JHASH_INITVAL`.
const INITVAL: u32 = 0xdead_beef;

/// `__jhash_mix`.
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

/// `__jhash_final`.
fn last(mut a: u32, mut b: u32, mut c: u32) -> u32 {
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(14));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(11));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(25));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(16));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(4));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(14));
    c ^= b;
    c.wrapping_sub(b.rotate_left(24))
}

/// `jhash2(words, words.len(), seed)`.
pub(crate) fn jhash2(words: &[u32], seed: u32) -> u32 {
    let init = INITVAL
        .wrapping_add((words.len() as u32) << 2)
        .wrapping_add(seed);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut k = words;
    while k.len() > 3 {
        a = a.wrapping_add(k[0]);
        b = b.wrapping_add(k[1]);
        c = c.wrapping_add(k[2]);
        mix(&mut a, &mut b, &mut c);
        k = &k[3..];
    }
    match *k {
        [] => c,
        [x] => last(a.wrapping_add(x), b, c),
        [x, y] => last(a.wrapping_add(x), b.wrapping_add(y), c),
        [x, y, z, ..] => last(a.wrapping_add(x), b.wrapping_add(y), c.wrapping_add(z)),
    }
}

/// `jhash(bytes, bytes.len(), seed)` (words read little-endian, as on the hosts oxbpf runs on).
pub(crate) fn jhash(bytes: &[u8], seed: u32) -> u32 {
    let init = INITVAL.wrapping_add(bytes.len() as u32).wrapping_add(seed);
    let (mut a, mut b, mut c) = (init, init, init);
    let word = |s: &[u8]| {
        let mut w = [0u8; 4];
        w[..s.len()].copy_from_slice(s);
        u32::from_le_bytes(w)
    };
    let mut k = bytes;
    while k.len() > 12 {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
        k = &k[12..];
    }
    if k.is_empty() {
        return c;
    }
    // The tail's bytes add into a, b and c in order, as the switch in Linux's jhash does.
    a = a.wrapping_add(word(&k[..k.len().min(4)]));
    if k.len() > 4 {
        b = b.wrapping_add(word(&k[4..k.len().min(8)]));
    }
    if k.len() > 8 {
        c = c.wrapping_add(word(&k[8..]));
    }
    last(a, b, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jhash_of_words_and_of_their_bytes_differ_only_in_the_length_term() {
        // jhash2 mixes in the length in words << 2 = bytes, so over the same little-endian bytes
        // both give the same value.
        let words = [1u32, 2, 3, 4, 5];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(jhash2(&words, 7), jhash(&bytes, 7));
        assert_ne!(jhash2(&words, 7), jhash2(&words, 8));
        assert_eq!(jhash2(&[], 0), INITVAL);
    }
}
