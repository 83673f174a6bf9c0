# leading comment
variable "a" {
  type        = string
  default     = "x" # trailing
  description = "d"
}

resource "terraform_data" "x" {
  input = {
    a   = 1
    bbb = [1, 2, 3] // c
    c   = "${var.a}-x"
  }
  triggers_replace = [for s in ["a", "b"] : upper(s) if s != ""]


  count         = -1 + 2 * 3
  provisioner_x = <<-EOT
      keep   this
    ${var.a}
    EOT
  lifecycle {
    ignore_changes = [input]
  }
}
locals {
  x             = {}
  y             = { a = 1 }
  z             = var.a[0]
  w             = f(1, 2)[0].x
  n             = !true
  m             = a ? b : c
  /* block */ q = 1
}
