use super::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const TEXT: &[u8] = b"hello hello hello, zstd! tracec reads zstd debug sections.\n";
/// `zstd -19 -c` of [`TEXT`] (content checksum on: the default).
const L19: &str = "28b52ffd243bad0100b40268656c6c6f202c207a73746421207472616365632072656164732064656275672073656374696f6e732e0a02006c0a16a314017bf5562b";
/// `zstd -1 --no-check -c` of [`TEXT`].
const L1_NOCHECK: &str = "28b52ffd203bad0100b40268656c6c6f202c207a73746421207472616365632072656164732064656275672073656374696f6e732e0a02006c0a16a31401";
/// `printf x | zstd -c`.
const ONE: &str = "28b52ffd04580900007823110483";
/// `printf '' | zstd -c`.
const EMPTY: &str = "28b52ffd240001000099e9d851";

#[test]
fn checked_in_streams() {
    assert_eq!(decompress(&unhex(L19), 1000).unwrap(), TEXT);
    assert_eq!(decompress(&unhex(L1_NOCHECK), 1000).unwrap(), TEXT);
    assert_eq!(decompress(&unhex(ONE), 1).unwrap(), b"x");
    assert_eq!(decompress(&unhex(EMPTY), 0).unwrap(), b"");
    assert_eq!(decompress(&[], 10), Err(Error::Truncated));
    assert_eq!(decompress(&unhex(L19), TEXT.len() - 1), Err(Error::TooLong));
}

#[test]
fn frames_back_to_back_and_skippable_frames() {
    let mut s = unhex(L19);
    s.extend_from_slice(&[0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    s.extend(unhex(ONE));
    s.extend(unhex(EMPTY));
    s.extend(unhex(L1_NOCHECK));
    let mut want = TEXT.to_vec();
    want.push(b'x');
    want.extend_from_slice(TEXT);
    assert_eq!(decompress(&s, 1 << 20).unwrap(), want);
    // A skippable frame whose size runs past the end.
    assert_eq!(
        decompress(&[0x50, 0x2a, 0x4d, 0x18, 9, 0, 0, 0, 1], 10),
        Err(Error::Truncated)
    );
    assert!(matches!(decompress(b"junk", 10), Err(Error::Invalid(_))));
}

#[test]
fn a_dictionary_is_refused() {
    // Frame header: one byte of dictionary ID (7), single segment, 1-byte size.
    let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x21, 7, 1, 1, 0, 0, b'x'];
    assert_eq!(decompress(&frame, 10), Err(Error::Dictionary(7)));
    assert!(Error::Dictionary(7).to_string().contains("dictionary 7"));
}

#[test]
fn corrupt_and_truncated_streams_are_errors() {
    for hex in [L19, ONE, EMPTY] {
        let s = unhex(hex);
        for n in 0..s.len() {
            assert!(decompress(&s[..n], 1000).is_err(), "{hex} cut at {n}");
        }
    }
    // With a checksum, any change decodes to an error or to the same content.
    let s = unhex(L19);
    for i in 0..s.len() {
        for bit in 0..8 {
            let mut c = s.clone();
            c[i] ^= 1 << bit;
            match decompress(&c, 1000) {
                Ok(out) => assert_eq!(out, TEXT, "byte {i} bit {bit}"),
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
    let mut bad = unhex(L19);
    let n = bad.len();
    bad[n - 1] ^= 0x40;
    assert_eq!(decompress(&bad, 1000), Err(Error::Checksum));
}

/// Inputs for the CLI round trips: text, a binary (this test program), a long
/// stretch that repeats from far back, and edge sizes.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut text = Vec::new();
    let mut x: u32 = 7;
    while text.len() < 300_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let words = [
            "probe", "uprobe", "map", "@count", "tracec ", "\n", "(", "0x1f", "kfunc",
        ];
        text.extend_from_slice(words[(x >> 16) as usize % words.len()].as_bytes());
        text.push(b' ' + (x >> 8) as u8 % 64);
    }
    let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let binary = exe[..exe.len().min(3 << 20)].to_vec();
    // 200 KiB of noise, then the same again: matches reach back beyond 128 KiB.
    let mut far: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    far.extend_from_within(..);
    vec![
        ("text", text),
        ("binary", binary),
        ("far", far),
        ("one", vec![b'q']),
        ("empty", Vec::new()),
        ("zeros", vec![0; 1 << 20]),
    ]
}

fn cli(args: &[&str], input: &[u8]) -> Option<Vec<u8>> {
    let mut child = Command::new("zstd")
        .args(args)
        .args(["-q", "-c", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    out.status.success().then_some(out.stdout)
}

#[test]
fn round_trips_through_the_zstd_cli() {
    if cli(&["-1"], b"probe").is_none() {
        eprintln!("skipping: no zstd CLI");
        return;
    }
    let modes: [&[&str]; 7] = [
        &["-1"],
        &["-3"],
        &["-19"],
        &["-3", "--no-check"],
        &["-19", "--long=27"],
        &["-5", "--no-content-size"],
        &["--ultra", "-22", "--no-check"],
    ];
    for (name, data) in inputs() {
        for args in modes {
            if args.contains(&"-22") && data.len() > 400_000 {
                continue; // slow to compress, nothing new to decode
            }
            let z = cli(args, &data).unwrap();
            let got = decompress(&z, data.len());
            assert!(got.as_deref() == Ok(&data[..]), "{name} {args:?}: {got:?}");
            if !data.is_empty() {
                assert_eq!(decompress(&z, data.len() - 1), Err(Error::TooLong));
                // Cut short or damaged in the middle: an error (with a checksum,
                // or a size that no longer adds up), never a panic.
                assert!(decompress(&z[..z.len() / 2], data.len()).is_err());
                let mut c = z.clone();
                let mid = c.len() / 2;
                c[mid] ^= 0x5a;
                if !args.contains(&"--no-check") {
                    assert!(decompress(&c, data.len()).is_err(), "{name} {args:?}");
                }
            }
        }
    }
    // Two frames made separately, concatenated (as `cat a.zst b.zst`).
    let (a, b) = (b"first frame ".repeat(50), b"second".repeat(9));
    let mut z = cli(&["-3"], &a).unwrap();
    z.extend(cli(&["-19", "--no-check"], &b).unwrap());
    assert_eq!(decompress(&z, 1 << 20).unwrap(), [a, b].concat());
}

/// A frame made by hand: one compressed block whose literals use a Huffman tree
/// in the direct (4-bit weights) form, which the CLI does not write, and no
/// sequences.
#[test]
fn huffman_tree_with_direct_weights() {
    // Weights of symbols 0..=97: all 0 but 'a' (97) with 1; 'b' (98) implied 1.
    let mut tree = vec![127 + 98];
    let mut nibbles = [0u8; 98];
    nibbles[97] = 1;
    tree.extend(nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]));
    // "abba": codes 0 1 1 0 under the end mark, first code highest.
    let stream = [0b1_0110u8];
    let comp = tree.len() + stream.len();
    let head: u32 = 2 | (4 << 4) | ((comp as u32) << 14);
    let mut block = head.to_le_bytes()[..3].to_vec();
    block.extend(&tree);
    block.extend(stream);
    block.push(0); // no sequences
    let bh = 1 | (2 << 1) | ((block.len() as u32) << 3);
    // Not single-segment, 1 KiB window, no content size, no checksum.
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00];
    frame.extend(&bh.to_le_bytes()[..3]);
    frame.extend(&block);
    assert_eq!(decompress(&frame, 100).unwrap(), b"abba");
    for n in 0..frame.len() {
        assert!(decompress(&frame[..n], 100).is_err(), "cut at {n}");
    }
    // A stream with a code too many is no longer exactly used up.
    let mut long = frame.clone();
    let at = long.len() - 2;
    long[at] = 0b10_0110;
    assert!(decompress(&long, 100).is_err());
}
