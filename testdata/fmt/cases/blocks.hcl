variable "tags" {
type = map(string)
default = {}
validation {
condition = length(var.tags) < 10
error_message = "Too many."
}
}
output "x" { value = 1 }
output "empty" {}
resource "terrace_data" "y" {
lifecycle {
ignore_changes = [
input,
]
create_before_destroy=true
}
depends_on = [terrace_data.x,
  terrace_data.z]
}


resource "terrace_data" "z" {
  input = [
    1,
    2,
  ]
  triggers_replace = {
    a = 1

    bb = 2
    ccc = {
      d = 3
    }
    e = 4
  }
}
