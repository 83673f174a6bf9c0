# Rules for what reaches prod, evaluated by terrace on every plan of prod
# (the JSON document `terrace plan --format json` writes). See
# docs/policies.md.
package shop.prod

import rego.v1

# Objects the plan deletes, or deletes to replace.
deleted contains rc.address if {
	some rc in input.resource_changes
	"delete" in rc.change.actions
}

# prod keeps its objects: a removal is a decision an approver takes
# explicitly (`terrace approve --override-policy prod-keeps-objects`).
deny contains sprintf("%s would be destroyed", [addr]) if {
	some addr in deleted
}

# How many app replicas prod runs after the plan.
replicas := count([rc |
	some rc in input.resource_changes
	rc.type == "terrace_data"
	rc.name == "replica"
	not rc.change.actions == ["delete"]
])

# prod never runs on fewer than two replicas (unless it is undeployed).
too_few contains sprintf("prod would run %d app replica(s); it needs at least 2", [replicas]) if {
	not input.terrace.destroy
	replicas < 2
}
