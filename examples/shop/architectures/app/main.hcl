# The shop application: one record per replica and a rendered config file.

variable "subnet_id" {
  type = string
}

variable "env" {
  type = string
}

variable "size" {
  type = string
}

variable "replicas" {
  type = number
}

variable "version" {
  type = string
}

resource "terrace_data" "replica" {
  count = var.replicas
  input = {
    name      = "shop-${var.env}-${count.index}"
    size      = var.size
    subnet_id = var.subnet_id
    version   = var.version
  }
}

resource "file" "config" {
  path    = "out/${var.env}/app.conf"
  content = templatefile("${path.module}/app.conf.tpl", {
    env      = var.env
    version  = var.version
    replicas = terrace_data.replica[*].output.name
  })
}

output "replicas" {
  value = terrace_data.replica[*].output.name
}
