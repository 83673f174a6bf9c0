# Expressions Terraform rejects, and so does terrace (each checked with
# Terraform 1.15.5 on the same definitions with terraform_data).
variable "names" {
  type    = list(string)
  default = null
}
variable "tags" {
  type    = map(string)
  default = {}
}

resource "terrace_data" "each_list" {
  for_each = ["a", "b"] # ERROR: for_each needs a map or a set of strings, and this is a list
}

resource "terrace_data" "each_set" {
  for_each = toset(["a", "b"])
}

locals {
  mixed    = true ? 1 : false # ERROR: inconsistent conditional result types
  splatted = var.names[*] # ERROR: splat of a null value
  any_tags = var.tags == {}
}

output "o" {
  value = [local.mixed, local.splatted, local.any_tags]
}
