# `terrace policy test` runs these, as `opa test` would.
package shop.prod_test

import rego.v1

import data.shop.prod

replica(i, actions) := {
	"address": sprintf("module.app.terrace_data.replica[%d]", [i]),
	"type": "terrace_data",
	"name": "replica",
	"change": {"actions": actions},
}

test_creating_three_replicas_passes if {
	plan := {"resource_changes": [replica(0, ["create"]), replica(1, ["create"]), replica(2, ["create"])]}
	count(prod.deny) == 0 with input as plan
	count(prod.too_few) == 0 with input as plan
}

test_a_deletion_is_denied if {
	plan := {"resource_changes": [replica(0, ["no-op"]), replica(1, ["no-op"]), replica(2, ["delete"])]}
	prod.deny == {"module.app.terrace_data.replica[2] would be destroyed"} with input as plan
}

test_one_replica_is_too_few if {
	plan := {"resource_changes": [replica(0, ["no-op"]), replica(1, ["delete"])]}
	count(prod.too_few) == 1 with input as plan
}
