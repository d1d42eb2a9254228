//! [`SubscriptionTrie`]: prefix subscriptions per subscriber, matched in time
//! proportional to the topic length, not to the number of subscriptions.

/// A prefix trie of counted subscriptions, keyed by subscriber.
///
/// Subscriptions are counted, not idempotent (RFC 29): two subscriptions to
/// `"A"` by the same subscriber need two cancels.
///
/// ```
/// use ferrozmq_proto::SubscriptionTrie;
/// let mut t = SubscriptionTrie::new();
/// t.add(b"A", 1u32);
/// t.add(b"", 2u32);
/// let mut hits = Vec::new();
/// t.matches(b"ABC", &mut hits);
/// assert_eq!(hits, vec![1, 2]);
/// ```
#[derive(Debug, Clone)]
pub struct SubscriptionTrie<K> {
    root: Node<K>,
}

#[derive(Debug, Clone)]
struct Node<K> {
    /// Sorted by key: a match found at one node (the usual case: everyone
    /// subscribed to the same prefix) is already in order.
    subscribers: Vec<(K, u32)>,
    children: Vec<(u8, Node<K>)>,
}

impl<K: Copy + Ord> Node<K> {
    /// Where `key` is in `subscribers`, or where it would go.
    fn find(&self, key: K) -> Result<usize, usize> {
        self.subscribers.binary_search_by_key(&key, |(k, _)| *k)
    }
}

impl<K> Default for Node<K> {
    fn default() -> Self {
        Node {
            subscribers: Vec::new(),
            children: Vec::new(),
        }
    }
}

impl<K> Default for SubscriptionTrie<K> {
    fn default() -> Self {
        SubscriptionTrie {
            root: Node::default(),
        }
    }
}

impl<K: Copy + Ord> SubscriptionTrie<K> {
    /// An empty trie.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one subscription of `key` to `prefix`. Returns true if `prefix`
    /// had no subscriber at all before (XPUB passes only those upstream).
    pub fn add(&mut self, prefix: &[u8], key: K) -> bool {
        let mut node = &mut self.root;
        for &b in prefix {
            let i = match node.children.binary_search_by_key(&b, |(c, _)| *c) {
                Ok(i) => i,
                Err(i) => {
                    node.children.insert(i, (b, Node::default()));
                    i
                }
            };
            node = &mut node.children[i].1;
        }
        let was_empty = node.subscribers.is_empty();
        match node.find(key) {
            Ok(i) => node.subscribers[i].1 += 1,
            Err(i) => node.subscribers.insert(i, (key, 1)),
        }
        was_empty
    }

    /// Whether `key` holds a subscription to exactly `prefix`.
    pub fn contains(&self, prefix: &[u8], key: K) -> bool {
        let mut node = &self.root;
        for b in prefix {
            match node.children.binary_search_by_key(b, |(c, _)| *c) {
                Ok(i) => node = &node.children[i].1,
                Err(_) => return false,
            }
        }
        node.find(key).is_ok()
    }

    /// Removes one subscription of `key` to `prefix`. Returns true if
    /// `prefix` has no subscriber left (and had this one).
    pub fn remove(&mut self, prefix: &[u8], key: K) -> bool {
        fn go<K: Copy + Ord>(node: &mut Node<K>, prefix: &[u8], key: K) -> Option<bool> {
            let emptied = match prefix.split_first() {
                None => {
                    let i = node.find(key).ok()?;
                    node.subscribers[i].1 -= 1;
                    if node.subscribers[i].1 == 0 {
                        node.subscribers.remove(i);
                    }
                    node.subscribers.is_empty()
                }
                Some((b, rest)) => {
                    let i = node.children.binary_search_by_key(b, |(c, _)| *c).ok()?;
                    let emptied = go(&mut node.children[i].1, rest, key)?;
                    let child = &node.children[i].1;
                    if child.subscribers.is_empty() && child.children.is_empty() {
                        node.children.remove(i);
                    }
                    emptied
                }
            };
            Some(emptied)
        }
        go(&mut self.root, prefix, key).unwrap_or(false)
    }

    /// Removes every subscription of `key` (a subscriber went away). Returns
    /// the prefixes that are left with no subscriber.
    pub fn remove_key(&mut self, key: K) -> Vec<Vec<u8>> {
        fn go<K: Copy + Ord>(
            node: &mut Node<K>,
            path: &mut Vec<u8>,
            key: K,
            out: &mut Vec<Vec<u8>>,
        ) {
            if let Ok(i) = node.find(key) {
                node.subscribers.remove(i);
                if node.subscribers.is_empty() {
                    out.push(path.clone());
                }
            }
            node.children.retain_mut(|(b, child)| {
                path.push(*b);
                go(child, path, key, out);
                path.pop();
                !(child.subscribers.is_empty() && child.children.is_empty())
            });
        }
        let mut out = Vec::new();
        go(&mut self.root, &mut Vec::new(), key, &mut out);
        out
    }

    /// Appends to `out` each subscriber with a subscription that is a prefix
    /// of `topic`, once each, in ascending order.
    pub fn matches(&self, topic: &[u8], out: &mut Vec<K>) {
        let start = out.len();
        let mut node = &self.root;
        let mut sources = 0;
        let mut take = |node: &Node<K>, out: &mut Vec<K>| {
            if !node.subscribers.is_empty() {
                sources += 1;
                out.extend(node.subscribers.iter().map(|(k, _)| *k));
            }
        };
        take(node, out);
        for b in topic {
            match node.children.binary_search_by_key(b, |(c, _)| *c) {
                Ok(i) => node = &node.children[i].1,
                Err(_) => break,
            }
            take(node, out);
        }
        if sources <= 1 {
            // One node's list: sorted, each key once.
            return;
        }
        out[start..].sort_unstable();
        let mut w = start;
        for r in start..out.len() {
            if w == start || out[w - 1] != out[r] {
                out[w] = out[r];
                w += 1;
            }
        }
        out.truncate(w);
    }

    /// Whether any subscription is a prefix of `topic`.
    pub fn matches_any(&self, topic: &[u8]) -> bool {
        let mut node = &self.root;
        if !node.subscribers.is_empty() {
            return true;
        }
        for b in topic {
            match node.children.binary_search_by_key(b, |(c, _)| *c) {
                Ok(i) => node = &node.children[i].1,
                Err(_) => return false,
            }
            if !node.subscribers.is_empty() {
                return true;
            }
        }
        false
    }

    /// Whether there is no subscription at all.
    pub fn is_empty(&self) -> bool {
        self.root.subscribers.is_empty() && self.root.children.is_empty()
    }

    /// Every distinct prefix with at least one subscriber.
    pub fn prefixes(&self) -> Vec<Vec<u8>> {
        fn go<K>(node: &Node<K>, path: &mut Vec<u8>, out: &mut Vec<Vec<u8>>) {
            if !node.subscribers.is_empty() {
                out.push(path.clone());
            }
            for (b, child) in &node.children {
                path.push(*b);
                go(child, path, out);
                path.pop();
            }
        }
        let mut out = Vec::new();
        go(&self.root, &mut Vec::new(), &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(t: &SubscriptionTrie<u32>, topic: &[u8]) -> Vec<u32> {
        let mut v = Vec::new();
        t.matches(topic, &mut v);
        v
    }

    #[test]
    fn counted_prefix_matching() {
        let mut t = SubscriptionTrie::new();
        assert!(t.add(b"AB", 1));
        assert!(!t.add(b"AB", 1));
        assert!(!t.add(b"AB", 2));
        assert!(t.add(b"A", 3));
        assert_eq!(hits(&t, b"ABC"), vec![1, 2, 3]);
        assert_eq!(hits(&t, b"AC"), vec![3]);
        assert_eq!(hits(&t, b"B"), Vec::<u32>::new());
        assert!(!t.remove(b"AB", 1));
        assert_eq!(hits(&t, b"AB"), vec![1, 2, 3]);
        assert!(!t.remove(b"AB", 1));
        assert!(t.remove(b"AB", 2));
        assert!(!t.remove(b"AB", 2), "cancel without subscription");
        assert_eq!(hits(&t, b"AB"), vec![3]);
        assert!(t.remove(b"A", 3));
        assert!(t.is_empty());
    }

    #[test]
    fn empty_prefix_matches_everything_once() {
        let mut t = SubscriptionTrie::new();
        t.add(b"", 7);
        t.add(b"x", 7);
        assert_eq!(hits(&t, b"xyz"), vec![7]);
        assert_eq!(hits(&t, b""), vec![7]);
        assert!(t.matches_any(b"anything"));
    }

    #[test]
    fn one_prefix_answers_in_order_whatever_the_order_of_subscribing() {
        let mut t = SubscriptionTrie::new();
        for k in [9, 3, 7, 1, 5, 3] {
            t.add(b"", k);
        }
        assert_eq!(hits(&t, b"topic"), vec![1, 3, 5, 7, 9]);
        t.remove(b"", 3);
        assert_eq!(hits(&t, b"topic"), vec![1, 3, 5, 7, 9], "3 had two");
        t.remove(b"", 3);
        t.remove_key(7);
        assert_eq!(hits(&t, b"topic"), vec![1, 5, 9]);
        // Several prefixes on the path: merged, each key once.
        t.add(b"to", 5);
        t.add(b"to", 2);
        assert_eq!(hits(&t, b"topic"), vec![1, 2, 5, 9]);
    }

    /// Random adds, removes and departures against a plain list of counted
    /// (prefix, key) subscriptions: every answer of the trie, and every
    /// match for every short topic, agrees with the list.
    #[test]
    fn agrees_with_a_plain_model_under_random_operations() {
        use std::collections::BTreeMap;
        let mut next = crate::test_rng(0x2545_f491_4f6c_dd1d);
        let word = |next: &mut dyn FnMut(u64) -> u64| -> Vec<u8> {
            (0..next(4)).map(|_| b"ab"[next(2) as usize]).collect()
        };
        let mut t = SubscriptionTrie::new();
        let mut model: BTreeMap<(Vec<u8>, u32), u32> = BTreeMap::new();
        let held = |m: &BTreeMap<(Vec<u8>, u32), u32>, p: &[u8]| m.keys().any(|(q, _)| q == p);
        for _ in 0..4000 {
            let key = next(6) as u32;
            match next(10) {
                0..=5 => {
                    let p = word(&mut next);
                    let first = !held(&model, &p);
                    assert_eq!(t.add(&p, key), first, "add {p:?} {key}");
                    *model.entry((p, key)).or_default() += 1;
                }
                6..=8 => {
                    let p = word(&mut next);
                    let had = model.contains_key(&(p.clone(), key));
                    if let Some(n) = model.get_mut(&(p.clone(), key)) {
                        *n -= 1;
                        if *n == 0 {
                            model.remove(&(p.clone(), key));
                        }
                    }
                    let emptied = had && !held(&model, &p);
                    assert_eq!(t.remove(&p, key), emptied, "remove {p:?} {key}");
                }
                _ => {
                    let mine: Vec<Vec<u8>> = model
                        .keys()
                        .filter(|(_, k)| *k == key)
                        .map(|(p, _)| p.clone())
                        .collect();
                    model.retain(|(_, k), _| *k != key);
                    let mut want: Vec<Vec<u8>> =
                        mine.into_iter().filter(|p| !held(&model, p)).collect();
                    let mut gone = t.remove_key(key);
                    want.sort();
                    gone.sort();
                    assert_eq!(gone, want, "remove_key {key}");
                }
            }
            for len in 0..5 {
                for bits in 0..1u32 << len {
                    let topic: Vec<u8> =
                        (0..len).map(|i| b"ab"[(bits >> i & 1) as usize]).collect();
                    let mut want: Vec<u32> = model
                        .keys()
                        .filter(|(p, _)| topic.starts_with(p))
                        .map(|(_, k)| *k)
                        .collect();
                    want.sort_unstable();
                    want.dedup();
                    assert_eq!(hits(&t, &topic), want, "matches {topic:?}");
                    assert_eq!(t.matches_any(&topic), !want.is_empty());
                }
            }
        }
        assert_eq!(t.is_empty(), model.is_empty());
    }

    #[test]
    fn remove_key_reports_orphaned_prefixes() {
        let mut t = SubscriptionTrie::new();
        t.add(b"a", 1);
        t.add(b"a", 2);
        t.add(b"b", 1);
        t.add(b"b", 1);
        let mut gone = t.remove_key(1);
        gone.sort();
        assert_eq!(gone, vec![b"b".to_vec()]);
        assert_eq!(t.prefixes(), vec![b"a".to_vec()]);
        assert!(!t.matches_any(b"b"));
    }
}
