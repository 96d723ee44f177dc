//! `value::derive_id` for many inputs at once: SHA-256 of four messages side by side, one
//! per 32-bit lane (WebAssembly simd128 `v128` in the module; plain `[u32; 4]` natively,
//! which the native tests run through the same code). In wasm the scalar SHA-256 costs
//! ~190 ns a block and a request of 1,000 GenAI spans needs ~3,400 ids of two blocks each;
//! four lanes share each instruction. The ids are exactly `derive_id`'s (same bytes hashed,
//! same digest): stored rows depend on them.

use uuid::Uuid;

use super::value::{derive_id, ID_NAMESPACE};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    /// Four u32 lanes.
    #[derive(Clone, Copy)]
    pub struct L(v128);

    impl L {
        #[inline(always)]
        pub fn new(x: [u32; 4]) -> L {
            L(u32x4(x[0], x[1], x[2], x[3]))
        }
        #[inline(always)]
        pub fn splat(x: u32) -> L {
            L(u32x4_splat(x))
        }
        #[inline(always)]
        pub fn add(self, o: L) -> L {
            L(i32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn xor(self, o: L) -> L {
            L(v128_xor(self.0, o.0))
        }
        #[inline(always)]
        pub fn rotr(self, n: u32) -> L {
            L(v128_or(u32x4_shr(self.0, n), u32x4_shl(self.0, 32 - n)))
        }
        #[inline(always)]
        pub fn shr(self, n: u32) -> L {
            L(u32x4_shr(self.0, n))
        }
        /// Per bit: `f` where `self` is 1, else `g` (SHA-256's Ch).
        #[inline(always)]
        pub fn choose(self, f: L, g: L) -> L {
            L(v128_bitselect(f.0, g.0, self.0))
        }
        #[inline(always)]
        pub fn lanes(self) -> [u32; 4] {
            [
                u32x4_extract_lane::<0>(self.0),
                u32x4_extract_lane::<1>(self.0),
                u32x4_extract_lane::<2>(self.0),
                u32x4_extract_lane::<3>(self.0),
            ]
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    /// Four u32 lanes.
    #[derive(Clone, Copy)]
    pub struct L([u32; 4]);

    impl L {
        #[inline(always)]
        pub fn new(x: [u32; 4]) -> L {
            L(x)
        }
        #[inline(always)]
        pub fn splat(x: u32) -> L {
            L([x; 4])
        }
        #[inline(always)]
        fn map2(self, o: L, f: impl Fn(u32, u32) -> u32) -> L {
            L([f(self.0[0], o.0[0]), f(self.0[1], o.0[1]), f(self.0[2], o.0[2]), f(self.0[3], o.0[3])])
        }
        #[inline(always)]
        pub fn add(self, o: L) -> L {
            self.map2(o, u32::wrapping_add)
        }
        #[inline(always)]
        pub fn xor(self, o: L) -> L {
            self.map2(o, |a, b| a ^ b)
        }
        #[inline(always)]
        pub fn rotr(self, n: u32) -> L {
            L(self.0.map(|x| x.rotate_right(n)))
        }
        #[inline(always)]
        pub fn shr(self, n: u32) -> L {
            L(self.0.map(|x| x >> n))
        }
        /// Per bit: `f` where `self` is 1, else `g` (SHA-256's Ch).
        #[inline(always)]
        pub fn choose(self, f: L, g: L) -> L {
            L([0, 1, 2, 3].map(|i| (self.0[i] & f.0[i]) | (!self.0[i] & g.0[i])))
        }
        #[inline(always)]
        pub fn lanes(self) -> [u32; 4] {
            self.0
        }
    }
}

use lanes::L;

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];

const H0: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// One 64-byte block of each lane's message into the lanes' states.
#[inline(always)]
fn compress(state: &mut [L; 8], block: [L; 16]) {
    let mut w = block;
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (i, k) in K.iter().enumerate() {
        let wi = if i < 16 {
            w[i]
        } else {
            // w[i] = σ1(w[i-2]) + w[i-7] + σ0(w[i-15]) + w[i-16], in a ring of 16.
            let x15 = w[(i + 1) & 15];
            let x2 = w[(i + 14) & 15];
            let s0 = x15.rotr(7).xor(x15.rotr(18)).xor(x15.shr(3));
            let s1 = x2.rotr(17).xor(x2.rotr(19)).xor(x2.shr(10));
            let next = w[i & 15].add(s0).add(w[(i + 9) & 15]).add(s1);
            w[i & 15] = next;
            next
        };
        let big_s1 = e.rotr(6).xor(e.rotr(11)).xor(e.rotr(25));
        let t1 = h.add(big_s1).add(e.choose(f, g)).add(L::splat(*k)).add(wi);
        let big_s0 = a.rotr(2).xor(a.rotr(13)).xor(a.rotr(22));
        // Maj(a, b, c): where a and b agree, a; else c.
        let maj = a.xor(b).choose(c, a);
        let t2 = big_s0.add(maj);
        h = g;
        g = f;
        f = e;
        e = d.add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.add(t2);
    }
    for (s, x) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.add(x);
    }
}

/// Longest message hashed in two blocks: 128 bytes less the 0x80 byte and the 8-byte length.
const MAX_TWO_BLOCK: usize = 119;

/// `derive_id`'s message for `parts`, padded to two SHA-256 blocks; `None` when longer.
fn padded(prefix: &[u8], parts: &[&[u8]]) -> Option<[u8; 128]> {
    let len = prefix.len() + parts.iter().map(|p| 4 + p.len()).sum::<usize>();
    if len > MAX_TWO_BLOCK {
        return None;
    }
    let mut m = [0u8; 128];
    m[..prefix.len()].copy_from_slice(prefix);
    let mut at = prefix.len();
    for part in parts {
        m[at..at + 4].copy_from_slice(&(part.len() as u32).to_be_bytes());
        m[at + 4..at + 4 + part.len()].copy_from_slice(part);
        at += 4 + part.len();
    }
    m[at] = 0x80;
    m[120..].copy_from_slice(&((len as u64) * 8).to_be_bytes());
    Some(m)
}

/// The ids of four padded messages.
fn ids_of_four(messages: [&[u8; 128]; 4]) -> [Uuid; 4] {
    let mut state = H0.map(L::splat);
    for half in 0..2 {
        let block: [L; 16] = core::array::from_fn(|j| {
            let at = half * 64 + 4 * j;
            L::new(messages.map(|m| u32::from_be_bytes([m[at], m[at + 1], m[at + 2], m[at + 3]])))
        });
        compress(&mut state, block);
    }
    let words = [state[0].lanes(), state[1].lanes(), state[2].lanes(), state[3].lanes()];
    core::array::from_fn(|lane| {
        let mut bytes = [0u8; 16];
        for (w, word) in words.iter().enumerate() {
            bytes[4 * w..4 * w + 4].copy_from_slice(&word[lane].to_be_bytes());
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Uuid::from_bytes(bytes)
    })
}

/// `derive_id(project, tag, parts)` for every `parts` of `inputs`, in order.
pub fn derive_ids<const N: usize>(project: Uuid, tag: &str, inputs: &[[&[u8]; N]]) -> Vec<Uuid> {
    let mut prefix = Vec::with_capacity(40);
    prefix.extend_from_slice(ID_NAMESPACE.as_bytes());
    prefix.extend_from_slice(project.as_bytes());
    prefix.extend_from_slice(tag.as_bytes());
    prefix.push(0);
    let mut ids = vec![Uuid::nil(); inputs.len()];
    // Messages of two blocks, four at a time; any longer one alone.
    let mut queued: Vec<(usize, [u8; 128])> = Vec::with_capacity(inputs.len());
    for (k, parts) in inputs.iter().enumerate() {
        match padded(&prefix, parts) {
            Some(m) => queued.push((k, m)),
            None => ids[k] = derive_id(project, tag, parts),
        }
    }
    for four in queued.chunks(4) {
        let pick = |i: usize| &four[i.min(four.len() - 1)].1;
        let out = ids_of_four([pick(0), pick(1), pick(2), pick(3)]);
        for (i, (k, _)) in four.iter().enumerate() {
            ids[*k] = out[i];
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_ids_as_derive_id_at_every_length() {
        // Every message length from 38 bytes to past two blocks (one to four lanes in
        // the last group), two tags, two projects.
        for project in [Uuid::from_u128(1), Uuid::from_u128(0x7b89_7f13_dad3_41d8_945b_9435_8423_ab85)] {
            for tag in ["span", "event"] {
                let data: Vec<Vec<u8>> = (0..120).map(|n| (0..n).map(|i| (i * 7 + n) as u8).collect()).collect();
                let inputs: Vec<[&[u8]; 2]> = data.iter().map(|d| [&b"0123456789abcdef"[..], &d[..]]).collect();
                for count in [1, 2, 3, 4, 5, inputs.len()] {
                    let got = derive_ids(project, tag, &inputs[..count]);
                    let want: Vec<Uuid> = inputs[..count].iter().map(|p| derive_id(project, tag, p)).collect();
                    assert_eq!(got, want, "{tag} {count}");
                }
            }
        }
    }
}
