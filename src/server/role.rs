//! Roles on a project (IBM Cloud's names) and the one matrix that says
//! which role each class of endpoint needs. docs/server.md shows the same
//! table; [`MATRIX`] is what the server enforces.

use serde::Serialize;

/// A user's role on one project, weakest first: each role may do what
/// the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Role {
    Viewer,
    Operator,
    Editor,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Viewer,
        Role::Operator,
        Role::Editor,
        Role::Administrator,
    ];

    /// Its name, as written in grants and shown to users.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Operator => "Operator",
            Role::Editor => "Editor",
            Role::Administrator => "Administrator",
        }
    }

    /// The role named `name` (any case).
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What an endpoint does, as far as access is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Needs a valid token and nothing else: the list of one's projects,
    /// the API description.
    Signed,
    /// Reads a project: status, attention, plans, outputs, audit.
    Read,
    /// Plans, drift, applies an approved plan, promotes.
    Operate,
    /// Approves, upgrades.
    Edit,
    /// Access, unlock, restore, export, import, delete.
    Administer,
}

/// Endpoint class → the least role on the endpoint's project that may
/// call it (`None`: any signed-in user, no project involved).
pub const MATRIX: &[(Class, Option<Role>)] = &[
    (Class::Signed, None),
    (Class::Read, Some(Role::Viewer)),
    (Class::Operate, Some(Role::Operator)),
    (Class::Edit, Some(Role::Editor)),
    (Class::Administer, Some(Role::Administrator)),
];

/// The least role `class` needs.
pub fn least_role(class: Class) -> Option<Role> {
    MATRIX
        .iter()
        .find(|(c, _)| *c == class)
        .and_then(|(_, r)| *r)
}

/// Whether a user holding `held` on the project may call an endpoint of
/// `class`.
pub fn allows(held: Option<Role>, class: Class) -> bool {
    match least_role(class) {
        None => true,
        Some(needed) => held.is_some_and(|h| h >= needed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_what_the_weaker_ones_may() {
        assert!(Role::Viewer < Role::Operator);
        assert!(Role::Operator < Role::Editor);
        assert!(Role::Editor < Role::Administrator);
        assert!(allows(Some(Role::Administrator), Class::Read));
        assert!(allows(Some(Role::Editor), Class::Operate));
        assert!(!allows(Some(Role::Viewer), Class::Operate));
        assert!(!allows(Some(Role::Editor), Class::Administer));
        assert!(!allows(None, Class::Read));
        assert!(allows(None, Class::Signed));
    }

    #[test]
    fn every_class_is_in_the_matrix_once() {
        for class in [
            Class::Signed,
            Class::Read,
            Class::Operate,
            Class::Edit,
            Class::Administer,
        ] {
            assert_eq!(MATRIX.iter().filter(|(c, _)| *c == class).count(), 1);
        }
    }

    #[test]
    fn role_names_are_ibms_and_parse_in_any_case() {
        assert_eq!(Role::parse("viewer"), Some(Role::Viewer));
        assert_eq!(Role::parse("ADMINISTRATOR"), Some(Role::Administrator));
        assert_eq!(Role::parse("owner"), None);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.name()), Some(r));
        }
    }
}
