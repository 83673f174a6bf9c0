//! An object's attributes: a map from names to values, kept sorted by name
//! as Terraform orders maps and objects.
//!
//! A sorted vector rather than a `BTreeMap`: most objects have a handful of
//! attributes, and a B-tree allocates a node of eleven slots for each of
//! them. At 100 000 resources that was half a gigabyte; one exactly-sized
//! allocation per object is a fraction of it, and faster to copy.

use super::Value;
use std::fmt;

/// Attributes sorted by name; each name once.
#[derive(Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    pub fn new() -> Map {
        Map::default()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// Sets `key`, returning the value it replaces.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        // Keys often arrive in order: appending is then free.
        if self.entries.last().is_none_or(|(last, _)| *last < key) {
            self.grow();
            self.entries.push((key, value));
            return None;
        }
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.grow();
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    fn grow(&mut self) {
        room_for_one(&mut self.entries);
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// The value at `key`, inserted with `make` first if missing.
    pub fn get_or_insert_with(&mut self, key: String, make: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in name order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Value)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }
}

/// Room in `v` for one more element, by half again as many (at least
/// one). A Vec grown by push doubles and holds four at least, while most
/// objects have a few attributes and most resources one instance, and a
/// plan holds several per resource: half their memory was room never used.
pub fn room_for_one<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 2).max(1));
    }
}

impl FromIterator<(String, Value)> for Map {
    /// As a `BTreeMap` collects: sorted, and a later value for the same
    /// name replaces an earlier one.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Map {
        let mut entries: Vec<(String, Value)> = iter.into_iter().collect();
        entries.reverse();
        // Stable: of equal names, the last given comes first, and stays.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, kept| later.0 == kept.0);
        Map { entries }
    }
}

impl<const N: usize> From<[(String, Value); N]> for Map {
    fn from(pairs: [(String, Value); N]) -> Map {
        pairs.into_iter().collect()
    }
}

impl Extend<(String, Value)> for Map {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_sorted_and_later_values_win() {
        let mut m = Map::new();
        m.insert("b".into(), Value::int(1));
        m.insert("a".into(), Value::int(2));
        m.insert("c".into(), Value::int(3));
        assert_eq!(m.insert("b".into(), Value::int(4)), Some(Value::int(1)));
        assert_eq!(
            m.keys().map(String::as_str).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        let collected: Map = [
            ("x".to_string(), Value::int(1)),
            ("x".to_string(), Value::int(2)),
        ]
        .into_iter()
        .collect();
        assert_eq!(collected.len(), 1);
        assert_eq!(collected.get("x"), Some(&Value::int(2)));
        assert_eq!(m.remove("a"), Some(Value::int(2)));
        assert!(!m.contains_key("a"));
    }
}
