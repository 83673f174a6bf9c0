//! Integration tests: the real `terrace` binary in temporary projects.
