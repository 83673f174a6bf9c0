# A web tier: servers in a subnet, and one page per name in `pages`.

variable "subnet_id" {
  type = string
}

variable "env" {
  type = string
}

variable "size" {
  type = string

  validation {
    condition     = contains(["small", "medium", "large"], var.size)
    error_message = "size must be small, medium or large."
  }
}

variable "pages" {
  type    = list(string)
  default = ["index"]
}

locals {
  replicas = lookup({ small = 1, medium = 2, large = 3 }, var.size)
}

resource "terrace_data" "server" {
  count = local.replicas

  input = {
    name   = "web-${var.env}-${count.index}"
    subnet = var.subnet_id
  }
}

resource "file" "page" {
  for_each = toset(var.pages)

  path = "out/${var.env}/www/${each.key}.html"
  content = templatefile("${path.module}/page.html.tpl", {
    title   = each.key
    servers = terrace_data.server[*].input.name
  })
}

output "servers" {
  value = terrace_data.server[*].input.name
}

output "pages" {
  value = [for p in file.page : p.path]
}
