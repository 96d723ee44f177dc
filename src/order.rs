//! Parents-first ordering of a batch's spans, and the parent rules that need the whole
//! batch: no self-parents, no cycles.
//!
//! Work is linear for random ids and O(n log n) at worst (see [`KeyTable`]: no input can
//! make it quadratic), and iterative (a 10,000-deep chain needs no stack).

use uuid::Uuid;

/// A key that can be bucketed by bits that are random in practice.
pub trait BucketKey: Ord + Copy {
    /// The key's low 32 bits: random in every UUID version clients send (v4 is random
    /// throughout; v7 starts with a timestamp, so its high bits are shared in a batch).
    fn low_bits(&self) -> u32;
}

impl BucketKey for u128 {
    fn low_bits(&self) -> u32 {
        *self as u32
    }
}

impl BucketKey for (u128, u128) {
    fn low_bits(&self) -> u32 {
        self.0 as u32 ^ (self.1 as u32).rotate_left(16)
    }
}

/// Finds positions by key in a list of records, and the keys that repeat: the keys are
/// counting-sorted into about as many buckets as there are keys, by their low bits, and
/// each bucket is sorted by (key, position). Building is linear for random ids; ids
/// chosen to share their low bits only make one bucket's sort O(n log n), so no input
/// makes it quadratic (nothing is hashed with a seed an attacker could learn).
pub struct KeyTable<K> {
    /// Where each bucket ends in `entries`.
    ends: Vec<u32>,
    entries: Vec<(K, u32)>,
    mask: u32,
}

/// Positions by span id.
pub type IdIndex = KeyTable<u128>;

impl<K: BucketKey> KeyTable<K> {
    /// Indexes `keys` by position.
    pub fn new(keys: impl ExactSizeIterator<Item = K>) -> Self {
        let n = keys.len();
        let bits = (usize::BITS - n.leading_zeros()).min(20);
        let mask = (1u32 << bits) - 1;
        let keyed: Vec<(K, u32)> = keys.enumerate().map(|(i, k)| (k, i as u32)).collect();
        // Bucket starts, then advanced to bucket ends by the scatter.
        let mut ends = vec![0u32; mask as usize + 1];
        for (k, _) in &keyed {
            ends[(k.low_bits() & mask) as usize] += 1;
        }
        let mut start = 0;
        for e in ends.iter_mut() {
            let count = *e;
            *e = start;
            start += count;
        }
        // Every slot is overwritten by the scatter; the first key only fills them meanwhile.
        let mut entries = keyed.first().map_or_else(Vec::new, |&first| vec![first; n]);
        for e in keyed {
            let b = (e.0.low_bits() & mask) as usize;
            entries[ends[b] as usize] = e;
            ends[b] += 1;
        }
        let mut table = KeyTable { ends, entries, mask };
        for b in 0..table.ends.len() {
            let range = table.range(b);
            if range.len() > 1 {
                table.entries[range].sort_unstable();
            }
        }
        table
    }

    fn range(&self, b: usize) -> std::ops::Range<usize> {
        let start = if b == 0 { 0 } else { self.ends[b - 1] as usize };
        start..self.ends[b] as usize
    }

    /// The first position of `key`, if it is in the list.
    pub fn first(&self, key: K) -> Option<usize> {
        let bucket = &self.entries[self.range((key.low_bits() & self.mask) as usize)];
        let i = bucket.partition_point(|e| e.0 < key);
        bucket.get(i).filter(|e| e.0 == key).map(|e| e.1 as usize)
    }

    /// The positions of each key listed more than once, in order, one group per key.
    pub fn repeats(&self) -> impl Iterator<Item = &[(K, u32)]> {
        (0..self.ends.len())
            .filter(|&b| self.range(b).len() > 1)
            .flat_map(|b| self.entries[self.range(b)].chunk_by(|x, y| x.0 == y.0).filter(|g| g.len() > 1))
    }
}

impl KeyTable<u128> {
    /// Indexes ids by position.
    pub fn ids(ids: impl ExactSizeIterator<Item = Uuid>) -> Self {
        KeyTable::new(ids.map(|id| id.as_u128()))
    }

    /// The first position of `id`, if it is in the list.
    pub fn get(&self, id: Uuid) -> Option<usize> {
        self.first(id.as_u128())
    }
}

/// A parent problem found while ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentProblem {
    /// The span at this position names itself as parent.
    SelfParent(usize),
    /// These positions form a cycle, in parent order, starting at the lowest position.
    Cycle(Vec<usize>),
}

/// Orders spans so that every span whose parent is in the batch comes after it.
///
/// `parent[i]` is the position of span `i`'s parent when that parent is in the batch.
/// Roots (no parent in the batch) are taken in input order, each followed depth-first by
/// its descendants, children in input order, as upstream ordered them. Returns the order,
/// or every self-parent and cycle.
pub fn parents_first(parent: &[Option<usize>]) -> Result<Vec<usize>, Vec<ParentProblem>> {
    let n = parent.len();
    let mut problems = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        if *p == Some(i) {
            problems.push(ParentProblem::SelfParent(i));
        }
    }

    // Children lists in input order, as compressed rows.
    let mut start = vec![0usize; n + 1];
    for p in parent.iter().flatten() {
        start[p + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut children = vec![0usize; start[n]];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = *p {
            children[fill[p]] = i;
            fill[p] += 1;
        }
    }

    let mut order = Vec::with_capacity(n);
    let mut placed = vec![false; n];
    let mut stack = Vec::new();
    for root in (0..n).filter(|&i| parent[i].is_none()) {
        stack.push(root);
        while let Some(i) = stack.pop() {
            placed[i] = true;
            order.push(i);
            stack.extend(children[start[i]..start[i + 1]].iter().rev());
        }
    }
    if order.len() == n {
        return Ok(order);
    }

    // Whatever was not placed hangs off a cycle. Walk each unplaced span up its parents,
    // marking the walk, until the walk meets itself (a new cycle) or an earlier walk.
    let mut walk_of = vec![usize::MAX; n];
    for s in 0..n {
        if placed[s] || walk_of[s] != usize::MAX {
            continue;
        }
        let mut i = s;
        loop {
            if walk_of[i] == s {
                if parent[i] != Some(i) {
                    let mut cycle = vec![i];
                    let mut j = parent[i].unwrap_or(i);
                    while j != i {
                        cycle.push(j);
                        j = parent[j].unwrap_or(i);
                    }
                    let low = cycle.iter().enumerate().min_by_key(|(_, &p)| p).map(|(k, _)| k).unwrap_or(0);
                    cycle.rotate_left(low);
                    problems.push(ParentProblem::Cycle(cycle));
                }
                break;
            }
            if walk_of[i] != usize::MAX {
                break;
            }
            walk_of[i] = s;
            match parent[i] {
                Some(p) => i = p,
                None => break,
            }
        }
    }
    problems.sort_by_key(|p| match p {
        ParentProblem::SelfParent(i) => *i,
        ParentProblem::Cycle(c) => c[0],
    });
    Err(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_parents_first(parent: &[Option<usize>], order: &[usize]) -> bool {
        let mut pos = vec![0; order.len()];
        for (k, &i) in order.iter().enumerate() {
            pos[i] = k;
        }
        parent.iter().enumerate().all(|(i, p)| p.is_none_or(|p| pos[p] < pos[i]))
    }

    #[test]
    fn children_listed_before_parents_are_moved_after_them() {
        // 0 is a child of 2, 1 is a child of 0, 2 is a root, 3 a root.
        let parent = [Some(2), Some(0), None, None];
        let order = parents_first(&parent).unwrap();
        assert_eq!(order, vec![2, 0, 1, 3]);
        assert!(is_parents_first(&parent, &order));
    }

    #[test]
    fn depth_first_with_children_in_input_order() {
        let parent = [None, Some(0), Some(0), Some(1), None];
        assert_eq!(parents_first(&parent).unwrap(), vec![0, 1, 3, 2, 4]);
    }

    #[test]
    fn a_long_chain_needs_no_recursion() {
        let n = 100_000;
        let parent: Vec<Option<usize>> = (0..n).map(|i| if i + 1 < n { Some(i + 1) } else { None }).collect();
        let order = parents_first(&parent).unwrap();
        assert_eq!(order[0], n - 1);
        assert!(is_parents_first(&parent, &order));
    }

    #[test]
    fn self_parents_and_cycles_are_reported_once_each() {
        // 0 self; 1→2→3→1 cycle; 4 hangs off the cycle; 5 is fine.
        let parent = [Some(0), Some(2), Some(3), Some(1), Some(2), None];
        let problems = parents_first(&parent).unwrap_err();
        assert_eq!(problems, vec![ParentProblem::SelfParent(0), ParentProblem::Cycle(vec![1, 2, 3])]);
    }

    #[test]
    fn two_node_cycle_reached_from_its_tail() {
        let parent = [Some(1), Some(2), Some(1)];
        assert_eq!(parents_first(&parent).unwrap_err(), vec![ParentProblem::Cycle(vec![1, 2])]);
    }

    #[test]
    fn index_finds_first_position() {
        let a = Uuid::from_u128(5);
        let b = Uuid::from_u128(1);
        let idx = IdIndex::ids([a, b, a].into_iter());
        assert_eq!(idx.get(a), Some(0));
        assert_eq!(idx.get(b), Some(1));
        assert_eq!(idx.get(Uuid::from_u128(7)), None);
        assert_eq!(idx.repeats().collect::<Vec<_>>(), vec![&[(5, 0), (5, 2)][..]]);
        assert!(IdIndex::ids([].into_iter()).get(a).is_none());
    }

    #[test]
    fn table_agrees_with_a_sort_whatever_the_keys_share() {
        // Random-looking keys, keys sharing their low bits (one bucket), and repeats.
        let mut keys: Vec<u128> =
            (0..3000u128).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)).collect();
        keys.extend((0..500u128).map(|i| (i % 37) << 64));
        keys.extend(keys.clone().iter().step_by(7));
        let table = KeyTable::new(keys.iter().copied());
        let mut sorted: Vec<(u128, u32)> = keys.iter().enumerate().map(|(i, &k)| (k, i as u32)).collect();
        sorted.sort_unstable();
        for &k in &keys {
            let first = sorted[sorted.partition_point(|e| e.0 < k)].1 as usize;
            assert_eq!(table.first(k), Some(first));
        }
        assert_eq!(table.first(12345), keys.iter().position(|&k| k == 12345));
        let mut repeats: Vec<Vec<(u128, u32)>> = table.repeats().map(|g| g.to_vec()).collect();
        repeats.sort();
        let expected: Vec<Vec<(u128, u32)>> =
            sorted.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1).map(|g| g.to_vec()).collect();
        assert_eq!(repeats, expected);
    }
}
