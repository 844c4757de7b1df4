//! The one map type of a template.

/// The maps of a template (its sections, and properties keyed by name): they keep insertion
/// order, so the same construction renders the same bytes. Keys are hashed with foldhash, with a
/// fixed seed: logical ids and property names are short, and SipHash (the standard hasher) was
/// a tenth of a synthesis. Build one with `OrderedMap::default()` or `collect()`.
pub type OrderedMap<V> = indexmap::IndexMap<String, V, foldhash::fast::FixedState>;
