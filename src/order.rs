//! Parents-first ordering of a batch's spans, and the parent rules that need the whole
//! batch: no self-parents, no cycles.
//!
//! Work is O(n log n) by sorting (no hashing of client-chosen ids, so no input can make
//! it quadratic) and iterative (a 10,000-deep chain needs no stack).

use uuid::Uuid;

/// Finds positions by id in a list of records: a sorted copy of (id, position).
pub struct IdIndex {
    sorted: Vec<(u128, u32)>,
}

impl IdIndex {
    /// Indexes `ids` by position. With repeated ids, the first position is kept.
    pub fn new(ids: impl Iterator<Item = Uuid>) -> Self {
        let mut sorted: Vec<(u128, u32)> = ids.enumerate().map(|(i, id)| (id.as_u128(), i as u32)).collect();
        sorted.sort_unstable();
        sorted.dedup_by_key(|e| e.0);
        IdIndex { sorted }
    }

    /// The position of `id`, if it is in the list.
    pub fn get(&self, id: Uuid) -> Option<usize> {
        let id = id.as_u128();
        self.sorted.binary_search_by(|e| e.0.cmp(&id)).ok().map(|k| self.sorted[k].1 as usize)
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
        let idx = IdIndex::new([a, b, a].into_iter());
        assert_eq!(idx.get(a), Some(0));
        assert_eq!(idx.get(b), Some(1));
        assert_eq!(idx.get(Uuid::from_u128(7)), None);
    }
}
