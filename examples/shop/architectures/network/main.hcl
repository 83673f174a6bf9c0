# A network: a VPC record and an inventory file describing it.

variable "cidr" {
  type = string
}

variable "region" {
  type = string
}

variable "env" {
  type = string
}

locals {
  name = "net-${var.env}-${var.region}"
}

resource "terrace_data" "vpc" {
  input = {
    name = local.name
    cidr = var.cidr
  }
}

resource "file" "inventory" {
  path    = "out/${var.env}/network.json"
  content = jsonencode({ name = local.name, cidr = var.cidr, vpc = terrace_data.vpc.id })
}

output "subnet_id" {
  value = "subnet-${substr(terrace_data.vpc.id, 0, 8)}"
}
