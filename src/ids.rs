//! Typed indices into the project's tables, so that swapping two of them
//! does not compile: a [`ConfigId`] picks one of
//! `Project::configurations`, an [`ArchId`] one of `Project::architectures`,
//! a [`ResourceId`] one of an architecture's `resources`, an [`OutputId`]
//! one of its `outputs`, a [`VariableId`] and a [`LocalId`] one of its
//! `variables` and `locals`, an [`InputId`] one of a configuration's
//! `inputs` (and the tables of values built beside them), an
//! [`InstanceId`] one of the instances a walk step plans or applies.
//!
//! Each id is a `u32` newtype, `Copy`. Tables are [`IdVec`]s: a `Vec`
//! that only an id of its own kind indexes (`arch.resources[r]`,
//! `values.resources[c][r]`), so a `ResourceId` used on the outputs table,
//! or a bare `usize`, is a compile error. `push_and_get_key` gives the id
//! of a new row, `iter_enumerated` the rows with their ids, `keys` the ids.

/// A `Vec<T>` indexed only by the id `I`: rustc's `IndexVec`, from
/// `typed-index-collections` (`TiVec`), which mirrors `Vec`'s API with
/// `I` in place of `usize`.
///
/// Another kind of id does not index it:
///
/// ```compile_fail,E0277
/// use terrace::ids::{IdVec, OutputId, ResourceId};
/// let outputs: IdVec<OutputId, &str> = vec!["url"].into();
/// let _ = outputs[ResourceId::new(0)];
/// ```
///
/// and neither does a bare position:
///
/// ```compile_fail,E0277
/// use terrace::ids::{IdVec, OutputId};
/// let outputs: IdVec<OutputId, &str> = vec!["url"].into();
/// let _ = outputs[0];
/// ```
pub type IdVec<I, T> = typed_index_collections::TiVec<I, T>;

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
        }

        impl From<usize> for $name {
            fn from(i: usize) -> Self {
                Self::new(i)
            }
        }

        impl From<$name> for usize {
            fn from(id: $name) -> usize {
                id.index()
            }
        }
    };
}

id!(
    /// One of `Project::configurations`.
    ConfigId
);
id!(
    /// One of `Project::architectures`.
    ArchId
);
impl ArchId {
    /// A configuration's architecture before its source is resolved:
    /// indexing with it panics, as it must never happen.
    pub const UNRESOLVED: ArchId = ArchId(u32::MAX);
}

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
id!(
    /// One instance of the resource a walk step plans or applies: its
    /// position in the resource's expansion (plan) or in the plan's
    /// changes for that step (apply).
    InstanceId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_indexes_the_row_it_was_pushed_as() {
        let mut rows: IdVec<ResourceId, &str> = IdVec::new();
        let a = rows.push_and_get_key("a");
        let b = rows.push_and_get_key("b");
        rows[b] = "z";
        assert_eq!((a.index(), b.index()), (0, 1));
        assert_eq!(rows[a], "a");
        assert_eq!(
            rows.iter_enumerated().collect::<Vec<_>>(),
            [(a, &"a"), (b, &"z")]
        );
        assert_eq!(rows.keys().collect::<Vec<_>>(), [a, b]);
    }

    #[test]
    fn ids_are_four_bytes() {
        assert_eq!(std::mem::size_of::<ConfigId>(), 4);
        assert_eq!(std::mem::size_of::<ResourceId>(), 4);
        assert_eq!(std::mem::size_of::<OutputId>(), 4);
    }
}
