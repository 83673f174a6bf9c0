# A network: a VPC, one subnet per zone, and an inventory file.

variable "cidr" {
  type        = string
  description = "The network's address range"

  validation {
    condition     = can(cidrhost(var.cidr, 0))
    error_message = "cidr must be an IPv4 range such as 10.0.0.0/16."
  }
}

variable "region" {
  type    = string
  default = "eu-de"
}

variable "env" {
  type = string
}

locals {
  name    = "net-${var.env}-${var.region}"
  subnets = { for i, zone in ["a", "b"] : zone => cidrsubnet(var.cidr, 8, i) }
}

resource "terrace_data" "vpc" {
  input = {
    name = local.name
    cidr = var.cidr
  }
}

resource "terrace_data" "subnet" {
  for_each = local.subnets

  input = {
    vpc  = terrace_data.vpc.id
    zone = each.key
    cidr = each.value
  }
}

resource "file" "inventory" {
  path = "out/${var.env}/network.json"
  content = jsonencode({
    vpc     = terrace_data.vpc.id
    subnets = { for zone, s in terrace_data.subnet : zone => s.id }
  })
}

output "subnet_id" {
  description = "The subnet of zone a"
  value       = terrace_data.subnet["a"].id
}

output "name" {
  value = local.name
}
