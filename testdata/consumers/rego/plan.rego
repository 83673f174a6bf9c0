# conftest-style rules over a JSON plan, evaluated on both sides of the
# paired fixture (tests/it/consumers.rs): they must decide alike.
package plan

import rego.v1

# Resource types whose replacement is refused.
protected_types := {"terraform_data", "terrace_data"}

deny contains msg if {
	rc := input.resource_changes[_]
	rc.change.actions[_] == "delete"
	rc.change.actions == ["delete"]
	msg := sprintf("%s would be deleted", [rc.address])
}

deny contains msg if {
	rc := input.resource_changes[_]
	protected_types[rc.type]
	"delete" in rc.change.actions
	"create" in rc.change.actions
	msg := sprintf("%s of a protected type would be replaced", [rc.address])
}

# The database's input must carry a password (its value may be hidden).
deny contains msg if {
	rc := input.resource_changes[_]
	rc.name == "db"
	not "password" in object.keys(rc.change.after.input)
	msg := sprintf("%s has no password in its input", [rc.address])
}

# How many objects each action touches.
counts[action] := n if {
	some action in {"create", "update", "delete", "no-op"}
	n := count([rc | rc := input.resource_changes[_]; action in rc.change.actions])
}

# Attributes known only after apply, per resource.
unknown contains sprintf("%s.%s", [rc.address, key]) if {
	rc := input.resource_changes[_]
	some key, v in rc.change.after_unknown
	v == true
}

# Outputs known only after apply.
unknown_outputs contains name if {
	some name, oc in input.output_changes
	oc.after_unknown == true
}

decisions := {
	"deny": deny,
	"counts": counts,
	"unknown": unknown,
	"unknown_outputs": count(unknown_outputs),
}
