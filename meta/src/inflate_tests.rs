use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn sample() -> Vec<u8> {
    let mut d = b"hello hello hello hello, tracec! ".repeat(3);
    d.extend(0..40u8);
    d
}

/// Streams python3's zlib produced for [`sample`]: level 9 (fixed Huffman, short
/// input), `Z_FIXED`, and level 0 (one stored block).
const FIXED_9: &str = "78dacb48cdc9c957c8402775144a8a129353931531a54856c0c0c8c4ccc2cac6cec1c9c5cdc3cbc72f2028242c222a262e2129252d232b27afa0a8a4aca2aaa60e0098ba261a";
const STORED: &str = "7801018b0074ff68656c6c6f2068656c6c6f2068656c6c6f2068656c6c6f2c20747261636563212068656c6c6f2068656c6c6f2068656c6c6f2068656c6c6f2c20747261636563212068656c6c6f2068656c6c6f2068656c6c6f2068656c6c6f2c207472616365632120000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262798ba261a";

#[test]
fn known_streams() {
    let want = sample();
    assert_eq!(zlib(&hex(FIXED_9), want.len()), Ok(want.clone()));
    assert_eq!(zlib(&hex(STORED), want.len()), Ok(want.clone()));
}

#[test]
fn adler32_known_values() {
    assert_eq!(adler32(b""), 1);
    assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    // Long enough to need several reductions.
    let big = vec![0xffu8; 100_000];
    let (mut a, mut b) = (1u64, 0u64);
    for &x in &big {
        a = (a + u64::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    assert_eq!(adler32(&big), ((b << 16) | a) as u32);
}

#[test]
fn malformed_input_is_an_error() {
    let good = hex(FIXED_9);
    let n = sample().len();
    assert_eq!(zlib(&[], n), Err(Error::Truncated));
    assert!(matches!(zlib(&[0x79, 0x9c], n), Err(Error::Invalid(_))));
    assert!(matches!(zlib(&[0x78, 0x9d], n), Err(Error::Invalid(_))));
    // Wrong expected sizes.
    assert_eq!(zlib(&good, n - 1), Err(Error::TooLong));
    assert_eq!(zlib(&good, n + 1), Err(Error::TooShort));
    // A damaged checksum.
    let mut bad = good.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(zlib(&bad, n), Err(Error::Checksum));
    // Every truncation and every single-byte corruption fails cleanly (or, for a
    // corruption that still decodes, is caught by the size or checksum).
    for cut in 0..good.len() {
        assert!(zlib(&good[..cut], n).is_err(), "cut at {cut}");
    }
    for at in 2..good.len() {
        for flip in [1u8, 0x10, 0x80, 0xff] {
            let mut bad = good.clone();
            bad[at] ^= flip;
            let _ = zlib(&bad, n);
        }
    }
    // Block type 3, a stored block whose length check fails, a distance before the
    // start of the output (fixed block: literal 'a', then length 3 at distance 2).
    assert!(matches!(
        inflate(&[0b111], &mut Vec::new(), 100),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        inflate(&[1, 1, 0, 0, 0], &mut Vec::new(), 100),
        Err(Error::Invalid(_))
    ));
    let mut out = Vec::new();
    let far = [0x4b, 0x04, 0x42, 0x00];
    assert_eq!(
        inflate(&far, &mut out, 100),
        Err(Error::Invalid("distance too far back"))
    );
}

#[test]
fn random_garbage_never_panics() {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2000 {
        let len = (x % 64) as usize;
        let mut buf = vec![0x78, 0x9c];
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf.push(x as u8);
        }
        let _ = zlib(&buf, 4096);
    }
}

/// Streams of every block kind and of long codes, from python3's zlib when present.
#[test]
fn round_trips_python_zlib() {
    let script = r#"
import sys, zlib
d = bytearray()
x = 12345
for i in range(300000):
    x = (x * 1103515245 + 12345) & 0x7fffffff
    r = (x >> 16) & 0xffff
    # A skewed distribution: long Huffman codes for the rare bytes.
    d.append(min(255, (r * r) >> 24) if i % 7 else (i * 31) & 0xff)
d += b"abcabcabc" * 5000
for lvl, strat in [(9, 0), (1, 0), (0, 0), (6, zlib.Z_FIXED), (6, zlib.Z_HUFFMAN_ONLY), (6, zlib.Z_RLE)]:
    c = zlib.compressobj(lvl, zlib.DEFLATED, 15, 9, strat)
    s = c.compress(bytes(d)) + c.flush()
    sys.stdout.buffer.write(len(s).to_bytes(4, 'little') + s)
sys.stdout.buffer.write(len(d).to_bytes(4, 'little') + bytes(d))
"#;
    let Ok(o) = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
    else {
        eprintln!("skipping: no python3");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut parts = Vec::new();
    let mut at = 0;
    while at < o.stdout.len() {
        let n = u32::from_le_bytes(o.stdout[at..at + 4].try_into().unwrap()) as usize;
        parts.push(&o.stdout[at + 4..at + 4 + n]);
        at += 4 + n;
    }
    let (plain, streams) = parts.split_last().unwrap();
    assert_eq!(streams.len(), 6);
    for (i, s) in streams.iter().enumerate() {
        let got = zlib(s, plain.len()).unwrap_or_else(|e| panic!("stream {i}: {e}"));
        assert!(got == *plain, "stream {i} differs");
    }
}
