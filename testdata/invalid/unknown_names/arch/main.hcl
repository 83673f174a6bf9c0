variable "name" {
  type    = string
  default = "a"
}
resource "terrace_data" "a" {
  inptu = var.name # ERROR: no argument "inptu"
}
resource "flie" "b" { # ERROR: unknown resource type "flie"
  path = "x"
}
resource "file" "c" { # ERROR: needs the argument "path"
  content = "x"
}
resorce "file" "d" {} # ERROR: unexpected block "resorce"
