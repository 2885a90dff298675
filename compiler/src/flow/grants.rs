//! Which `request consent` steps can have granted the consent a send relies on, for the send's
//! compliance record (GDPR-7 and TCPA-PEWC ask who gave consent, how and when: the record names
//! the request and its message; the runtime records the answer and the time, docs/bundle.md §5).
//!
//! A may-analysis (reaching definitions): the state is the set of consent requests whose
//! `granted` edge some path took with no revocation of that consent since. A later grant of the
//! same consent replaces the earlier ones on its path. The join is union, so the lattice's height
//! is the number of requests; widening (at loop heads) adds every request, which only lists more
//! steps that *can* have granted, never fewer.

use super::analyses::Consent;
use super::graph::{Graph, Node, NodeIndex, NodeKind};
use super::solve::Analysis;

pub struct Grants<'c> {
    consent: &'c Consent,
    /// The consent requests, numbered: their node and the fact they ask for.
    requests: Vec<(NodeIndex, Option<usize>)>,
    /// Per node: its number in `requests`, if it is one.
    number: Vec<Option<usize>>,
    words: usize,
}

impl<'c> Grants<'c> {
    /// `None` when the journey has more requests than `MAX_TRACED_CONSENT_REQUESTS`: they are
    /// not traced (the records then leave `consent_granted_by` out).
    pub fn new(consent: &'c Consent, graph: &Graph) -> Option<Grants<'c>> {
        let count = graph.nodes.iter().filter(|n| matches!(n.kind, NodeKind::ConsentRequest { .. })).count();
        if count > crate::limits::MAX_TRACED_CONSENT_REQUESTS {
            return None;
        }
        let mut requests = Vec::new();
        let mut number = vec![None; graph.nodes.len()];
        for (index, node) in graph.nodes.iter().enumerate() {
            if let NodeKind::ConsentRequest { channel, category, .. } = &node.kind {
                if let Some(slot) = number.get_mut(index) {
                    *slot = Some(requests.len());
                }
                requests.push((index, consent.facts.id(channel, category)));
            }
        }
        let words = requests.len().div_ceil(64).max(1);
        Some(Grants { consent, requests, number, words })
    }

    /// No request has granted anything where the journey begins.
    pub fn start(&self) -> Vec<u64> {
        vec![0; self.words]
    }

    /// The requests for fact `fact` in `state` (a node's input), as node indices in node order.
    pub fn granting(&self, state: &[u64], fact: usize) -> Vec<NodeIndex> {
        self.requests
            .iter()
            .enumerate()
            .filter(|(r, (_, f))| *f == Some(fact) && bit(state, *r))
            .map(|(_, (node, _))| *node)
            .collect()
    }

    /// Every request for fact `fact`: what to list when the fixpoint did not finish.
    pub fn every(&self, fact: usize) -> Vec<NodeIndex> {
        self.requests.iter().filter(|(_, f)| *f == Some(fact)).map(|(node, _)| *node).collect()
    }
}

fn bit(state: &[u64], r: usize) -> bool {
    state.get(r / 64).is_some_and(|word| word & (1 << (r % 64)) != 0)
}

fn set(state: &mut [u64], r: usize, on: bool) {
    if let Some(word) = state.get_mut(r / 64) {
        if on {
            *word |= 1 << (r % 64);
        } else {
            *word &= !(1 << (r % 64));
        }
    }
}

impl Analysis for Grants<'_> {
    type Elem = u64;

    fn join(&self, into: &mut [u64], other: &[u64]) {
        for (mine, theirs) in into.iter_mut().zip(other) {
            *mine |= theirs;
        }
    }

    fn widen(&self, _previous: &[u64], joined: &mut [u64]) {
        for r in 0..self.requests.len() {
            set(joined, r, true);
        }
    }

    fn transfer(&self, index: NodeIndex, node: &Node, out: &mut [u64]) {
        let granted_here = self.number.get(index).copied().flatten();
        for (edge_index, (edge, state)) in node.edges.iter().zip(out.chunks_mut(self.words)).enumerate() {
            // Revocations first, as in the consent analysis: a `granted` edge still grants.
            for (r, (_, fact)) in self.requests.iter().enumerate() {
                if fact.is_some_and(|f| self.consent.revokes(index, edge_index, f)) {
                    set(state, r, false);
                }
            }
            if let Some(mine) = granted_here.filter(|_| edge.label == "granted") {
                let fact = self.requests.get(mine).and_then(|(_, f)| *f);
                for (r, (_, f)) in self.requests.iter().enumerate() {
                    if *f == fact {
                        set(state, r, false);
                    }
                }
                set(state, mine, true);
            }
        }
    }
}
