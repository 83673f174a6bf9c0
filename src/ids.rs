//! Typed indices into the project's tables, so that swapping two of them
//! does not compile: a [`ConfigId`] picks one of
//! `Project::configurations`, a [`ResourceId`] one of an architecture's
//! `resources`, an [`OutputId`] one of its `outputs`, a [`VariableId`]
//! and a [`LocalId`] one of its `variables` and `locals`, an [`InputId`]
//! one of a configuration's `inputs` (and the tables of values built
//! beside them).
//!
//! Each id is a `u32` newtype, `Copy`, and indexes a `Vec` directly
//! (`arch.resources[r]`, `values.resources[c][r]`); `index()` gives the
//! raw position where a table is built by enumeration.

use std::ops::{Index, IndexMut};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            /// The id of position `i` in its table.
            pub fn new(i: usize) -> Self {
                Self(u32::try_from(i).expect("table larger than u32::MAX"))
            }

            /// The position in its table.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The rows of `table` with their ids, in order.
            pub fn enumerate<T>(table: &[T]) -> impl Iterator<Item = (Self, &T)> {
                table.iter().enumerate().map(|(i, row)| (Self::new(i), row))
            }

            /// The ids of a table of `len` rows, in order.
            pub fn all(len: usize) -> impl Iterator<Item = Self> {
                (0..len).map(Self::new)
            }
        }

        impl<T> Index<$name> for Vec<T> {
            type Output = T;
            fn index(&self, id: $name) -> &T {
                &self[id.index()]
            }
        }

        impl<T> IndexMut<$name> for Vec<T> {
            fn index_mut(&mut self, id: $name) -> &mut T {
                &mut self[id.index()]
            }
        }
    };
}

id!(
    /// One of `Project::configurations`.
    ConfigId
);
id!(
    /// One of an architecture's `resources`, within one configuration.
    ResourceId
);
id!(
    /// One of an architecture's `outputs`, within one configuration.
    OutputId
);
id!(
    /// One of an architecture's `variables`, within one configuration.
    VariableId
);
id!(
    /// One of an architecture's `locals`, within one configuration.
    LocalId
);
id!(
    /// One of a configuration's `inputs`.
    InputId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_indexes_the_row_at_its_position() {
        let mut rows = vec!["a", "b", "c"];
        assert_eq!(rows[ResourceId::new(1)], "b");
        rows[ConfigId::new(2)] = "z";
        assert_eq!(rows, ["a", "b", "z"]);
        assert_eq!(
            ResourceId::all(3).map(|r| rows[r]).collect::<Vec<_>>(),
            ["a", "b", "z"]
        );
    }

    #[test]
    fn ids_are_four_bytes() {
        assert_eq!(std::mem::size_of::<ConfigId>(), 4);
        assert_eq!(std::mem::size_of::<ResourceId>(), 4);
        assert_eq!(std::mem::size_of::<OutputId>(), 4);
    }
}
